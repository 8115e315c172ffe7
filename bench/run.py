"""`make bench`: the reader pages under load, as ratios to Flask's hello world in the same run.

Builds a throwaway SQLite site (bench/site.py), starts gunicorn with 2 sync workers on a free port
serving bench/app.py (the blog plus a hello-world baseline and a SQL-statement counter), warms
every URL up, then loads each one with wrk (-t2 -c16) in several interleaved rounds and prints a
table: median req/s, p50 and p99 latency, body bytes, SQL statements per request and req/s as a
ratio to the baseline. Worker memory (RSS) is read before and after 10,000 article requests.
Results are also written as JSON (bench/results.json, or the path given).

After the app's rows (issue #24): the same article through deploy/nginx.conf's microcache and as
a static file served by nginx (bench/nginx_rows.py); article-50 while another client posts
comments elsewhere; and, where TEST_DATABASE_URL names a PostgreSQL server, the large-site table
(bench/bigsite.py: 100,000 posts and 1,000,000 comments against a small site built alike).

Usage: .venv/bin/python -m bench.run [results.json] [--rounds 3] [--seconds 3] [--no-large-site]

Absolute numbers depend on the machine and whatever else runs on it; the ratios are the result.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from bench import site
from blog.comments.visitor import REMEMBER_COOKIE

ROOT = Path(__file__).resolve().parent.parent
THREADS, CONNECTIONS = 2, 16
RSS_REQUESTS = 10_000

# wrk prints its own summary; this one is machine-readable (latency in microseconds).
DONE_LUA = """
done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH {\\"requests\\": %d, \\"seconds\\": %f, \\"bytes\\": %d, \\"p50\\": %f, "
    .. "\\"p99\\": %f, \\"errors\\": %d, \\"non2xx\\": %d}\\n",
    summary.requests, summary.duration / 1e6, summary.bytes, latency:percentile(50),
    latency:percentile(99), summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, summary.errors.status))
end
"""

# Each POST a new comment (a duplicate would be refused): run nonce, thread and counter in it.
POST_LUA = """
local counter = 0
local thread_number = 0
local next_thread = 0
setup = function(thread)
  thread:set("number", next_thread)
  next_thread = next_thread + 1
end
init = function(args) thread_number = number end
request = function()
  counter = counter + 1
  local body = FORM .. "&comment=" .. TEXT .. "+" .. NONCE .. "-" .. thread_number .. "-" .. counter
  return wrk.format("POST", PATH, HEADERS, body)
end
"""

# One view of the article by a returning commenter, the shared page and their own comments apart:
# the page (saved-name cookie only), then the fragment (their comment cookie too).
SHARED_AND_OWN_LUA = """
local sent = 0
request = function()
  sent = sent + 1
  if sent % 2 == 1 then
    return wrk.format("GET", PAGE, {["Cookie"] = SHARED_COOKIE})
  end
  return wrk.format("GET", FRAGMENT, {["Cookie"] = OWN_COOKIE, ["HX-Request"] = "true"})
end
"""

# The other client of "article-50, comments posted elsewhere" waits this long after each answer.
PACE_SECONDS = 0.05

# Round-robin over the article and listing URLs (wrk runs again until 10,000 have been answered).
RSS_LUA = """
local paths = {PATHS}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal here


class Server:
    """gunicorn with 2 sync workers serving the bench app on a free port."""

    def __init__(self, database: Path, instance: Path):
        self.database = database
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        gunicorn = Path(sys.executable).with_name("gunicorn")
        env = dict(os.environ, BENCH_DATABASE=str(database), BLOG_INSTANCE_PATH=str(instance))
        env.pop("DATABASE_URL", None)
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "--workers=2",
                "--worker-class=sync",
                f"--bind=127.0.0.1:{self.port}",
                "--log-level=warning",
                "--backlog=2048",
                "bench.app:create_bench_app()",
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.base + "/bench/hello", timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        while len(self.workers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def rss_kib(self) -> dict[int, int]:
        found = {}
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            found[pid] = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        return found

    def cpu_seconds(self) -> float:
        """User and system CPU the workers have used so far (the mail sender threads included)."""
        ticks = 0
        for pid in self.workers():
            # After the ")" that ends the command name: utime and stime are fields 12 and 13.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def wrk_script(script: str) -> str:
    """The script in a file; a new nonce per run: the POST row's comments must never repeat
    (duplicates are refused)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script.replace("NONCE", lua_string(uuid.uuid4().hex[:8])) + DONE_LUA)
    return handle.name


def wrk_command(url, seconds, script_file, headers=None, threads=THREADS, connections=CONNECTIONS):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    command += ["-s", script_file]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    return [*command, url]


def wrk(url: str, seconds: float, script: str, headers: dict | None = None) -> dict:
    script_file = wrk_script(script)
    try:
        command = wrk_command(url, seconds, script_file, headers)
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
        if done.returncode:
            raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
        output = done.stdout
    finally:
        os.unlink(script_file)
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    result = json.loads(line[len("BENCH ") :])
    result["rps"] = result["requests"] / result["seconds"]
    return result


class Row:
    """One line of the table: a URL and how wrk loads it; probe() checks it answers as meant."""

    def __init__(self, name, path, expect=200, script="", headers=None, note=""):
        self.name, self.path, self.expect = name, path, expect
        self.script, self.headers, self.note = script, headers or {}, note
        self.data: bytes | None = None  # the body of the probe POST
        self.prepare = lambda: None  # run before each load
        self.settle = lambda: None  # run after each load
        self.runs: list[dict] = []
        # A row whose one view of the page takes several requests: its req/s is views per second.
        self.requests_per_view = 1
        self.body_bytes = 0
        self.queries = ""
        # Another client's load while this row is measured (wrk_command's arguments).
        self.background: dict | None = None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx itself is the answer (urllib raises it as an HTTPError)


NOT_FOLLOWING = urllib.request.build_opener(_NoRedirects)


def probe(base: str, row: Row, data: bytes | None = None) -> None:
    """One request outside the load: status, body size and the SQL statements it ran."""
    request = urllib.request.Request(base + row.path, data=data)
    for name, value in row.headers.items():
        request.add_header(name, value)
    try:
        # Redirects are not followed: wrk does not follow them either, and a row that loads a
        # redirect measures the redirect (the tag page did: /tag/SLUG answers 301).
        response = NOT_FOLLOWING.open(request, timeout=30)
        status, body, headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, body, headers = error.code, error.read(), error.headers
    if status != row.expect:
        raise RuntimeError(f"{row.name}: {row.path} answered {status}, expected {row.expect}")
    row.body_bytes = len(body)
    row.queries = headers.get("X-Bench-Queries", "?")


def build_rows(base: str, slugs: dict, database: Path) -> list[Row]:
    """Every row, with the cookies, token and ETag the POST and the conditional GET need."""
    last_page = site.comment_pages()
    rows = [
        Row("baseline (hello world)", "/bench/hello"),
        Row("article-50", f"/posts/{slugs['article-50']}"),
        Row("article-5000, first page", f"/posts/{slugs['article-5000']}"),
        Row("article-5000, last page", f"/posts/{slugs['article-5000']}?cpage={last_page}"),
        Row("home, page 1", "/"),
        Row("home, page 500", "/?page=500"),
        Row("tag page", f"/tag/{slugs['tag']}/"),
        Row("feed", "/feed.xml"),
    ]
    # A reader's browser: the article page gives the form stamp (and no cookie, no token: the
    # post is checked by the browser's Sec-Fetch-Site header, blog/web/forgery.py).
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/posts/{slugs['article-post']}", timeout=30)
    html = page.read().decode()
    assert "csrf_token" not in html, "the public article carries no per-reader token"
    stamp = re.search(r'name="stamp" value="([^"]+)"', html).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    form = urllib.parse.urlencode(
        {
            "author": site.COMMENTER[0],
            "email": site.COMMENTER[1],
            "url": "",
            "parent": "",
            "homepage": "",
            "stamp": stamp,
        }
    )
    post_headers = {
        "Sec-Fetch-Site": "same-origin",
        "HX-Request": "true",
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"{base}/posts/{slugs['article-post']}",
    }
    text = urllib.parse.quote_plus(site.COMMENT_TEXT.strip())
    lua = (
        POST_LUA.replace("FORM", lua_string(form))
        .replace("TEXT", lua_string(text))
        .replace("PATH", lua_string(f"/posts/{slugs['article-post']}/comments"))
        .replace("HEADERS", "nil")  # the -H headers (wrk.headers)
    )
    posting = Row(
        "comment POST (htmx)",
        f"/posts/{slugs['article-post']}/comments",
        script=lua,
        headers=post_headers,
        note="CSRF on (Sec-Fetch-Site: same-origin, as a browser sends it); flood and rate "
        "limits off",
    )
    posting.data = f"{form}&comment={text}+probe".encode()
    posting.settle = lambda: outbox_drained(database)
    rows.append(posting)
    # Issue #24: a comment on one article must not rebuild another. article-50 is loaded while
    # one more client posts a comment to article-post every 50 ms (a busy site's steady stream;
    # wrk's delay() paces it), compared with the quiet article-50 row.
    busy = Row(
        "article-50, comments posted elsewhere",
        f"/posts/{slugs['article-50']}",
        note="meanwhile one more reader posts a comment to another article, 50 ms after each "
        "answer",
    )
    busy.background = {"path": posting.path, "data": posting.data, "headers": post_headers}
    busy.settle = lambda: outbox_drained(database)
    rows.append(busy)
    # A reader whose held comment shows on the article (a first comment under a new name waits
    # for moderation) and who saved their name: that article is rendered just for them.
    own_form = form.replace(
        urllib.parse.urlencode({"author": site.COMMENTER[0]}),
        urllib.parse.urlencode({"author": "First Timer"}),
    ).replace(urllib.parse.urlencode({"email": site.COMMENTER[1]}), "email=first%40example.org")
    opener.open(
        urllib.request.Request(
            base + posting.path,
            data=f"{own_form}&remember=y&comment={text}+own".encode(),
            headers={"Referer": post_headers["Referer"], "Sec-Fetch-Site": "same-origin"},
        ),
        timeout=30,
    ).read()
    own_cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    rows.insert(
        2,
        Row(
            "article, rendered (own)",
            f"/posts/{slugs['article-post']}",
            headers={"Cookie": own_cookie},
            note="a reader with a held comment on this article and a saved name: rendered for "
            "them (the article that the POST row fills, its first comment page)",
        ),
    )
    # Issue #24's other way for that reader, measured against the row above: the page everyone
    # shares (from the cache, their saved name put in) plus a fragment with their own comments,
    # which htmx would ask for when the comment cookie is there (a prototype in bench/app.py).
    remembered = "; ".join(f"{c.name}={c.value}" for c in jar if c.name == REMEMBER_COOKIE)
    both = Row(
        "article, shared + own-comments fragment",
        f"/posts/{slugs['article-post']}",
        headers={"Cookie": remembered},
        script=SHARED_AND_OWN_LUA.replace("PAGE", lua_string(f"/posts/{slugs['article-post']}"))
        .replace("FRAGMENT", lua_string(f"/bench/own/{slugs['article-post']}"))
        .replace("SHARED_COOKIE", lua_string(remembered))
        .replace("OWN_COOKIE", lua_string(own_cookie)),
        note="the same reader, the other way: two requests per view (req/s here is views/s)",
    )
    both.requests_per_view = 2
    fragment = urllib.request.Request(
        f"{base}/bench/own/{slugs['article-post']}",
        headers={"Cookie": own_cookie, "HX-Request": "true"},
    )
    held = urllib.request.urlopen(fragment, timeout=30).read().decode()
    assert "First Timer" in held, "the fragment holds the reader's own held comment"
    rows.insert(3, both)
    revalidate = Row(
        "conditional GET (304)",
        f"/posts/{slugs['article-post']}",
        expect=304,
        headers={"Cookie": cookie, "If-None-Match": '"none"'},
    )
    # The POST row changes the content, and so the ETag: the browser asks with the one it got.
    revalidate.prepare = lambda: revalidate.headers.update(
        {"If-None-Match": fetch_etag(base + revalidate.path, cookie)}
    )
    rows.append(revalidate)
    return rows


def fetch_etag(url: str, cookie: str) -> str:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    return urllib.request.urlopen(request, timeout=30).headers["ETag"]


def load(server: Server, row: Row, seconds: float) -> dict:
    row.prepare()
    cpu = server.cpu_seconds()
    background = None
    if row.background is not None:  # started first, ends after: it spans the whole measurement
        background = PacedPoster(server.base, **row.background)
        background.start()
        time.sleep(0.5)
    result = wrk(server.base + row.path, seconds, row.script, row.headers)
    if background is not None:
        background.stop()
        if background.failures:
            raise RuntimeError(f"{row.name}: the background posts failed: {background.failures}")
        result["background_requests"] = background.answered
    row.settle()  # the POST row's mail is sent here: its CPU counts against the POST
    result["cpu_ms"] = (server.cpu_seconds() - cpu) * 1000 / max(1, result["requests"])
    return result


class PacedPoster(threading.Thread):
    """A reader posting a comment, waiting PACE_SECONDS after each answer, and again.

    Each post opens its connection and sends the whole request at once, as a browser does. wrk's
    own pacing (its delay()) first did this row: wrk connects at once and holds the connection
    idle until the delay is over, and a sync worker that had accepted it waited on it too: a
    third of the two workers' time went to waiting (seen in /proc: wait_woken), and the row
    measured that, not the posts (0.52x of quiet then; 0.91x with this client, same posts).
    Behind nginx (deploy/), which reads the whole request first, a worker never waits so."""

    def __init__(self, base: str, path: str, data: bytes, headers: dict):
        super().__init__(daemon=True)
        self.url, self.data, self.headers = base + path, data, headers
        self.nonce = uuid.uuid4().hex[:8]  # every comment new (duplicates are refused)
        self.ended = threading.Event()
        self.answered, self.failures = 0, []

    def run(self) -> None:
        while not self.ended.is_set():
            body = self.data.replace(b"probe", f"paced+{self.nonce}+{self.answered}".encode())
            request = urllib.request.Request(self.url, data=body, headers=self.headers)
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    answer.read()
                self.answered += 1
            except (urllib.error.URLError, OSError) as error:
                self.failures.append(repr(error))
                return
            self.ended.wait(PACE_SECONDS)

    def stop(self) -> None:
        self.ended.set()
        self.join(60)


def outbox_drained(database: Path, timeout: float = 120) -> None:
    """Wait until the workers' mail senders have sent what the POST row queued (one message per
    comment, logged since the bench has no mail server), so that their work is not counted
    against the next row."""
    import sqlite3

    deadline = time.monotonic() + timeout
    with sqlite3.connect(database, timeout=30) as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                "SELECT count(*) FROM outbox WHERE status IN ('queued', 'sending')"
            ).fetchone()[0]
            if not waiting:
                return
            time.sleep(0.2)
    raise RuntimeError("the mail outbox did not drain")


def rss_phase(base: str, server: Server, slugs: dict) -> dict:
    paths = [
        f"/posts/{slugs['article-50']}",
        f"/posts/{slugs['article-5000']}",
        f"/posts/{slugs['article-5000']}?cpage={site.comment_pages()}",
        "/",
        "/?page=500",
    ]
    before = server.rss_kib()
    script = RSS_LUA.replace("{PATHS}", "{" + ", ".join(lua_string(p) for p in paths) + "}")
    served = 0
    while served < RSS_REQUESTS:
        served += wrk(base + paths[0], 2, script)["requests"]
    after = server.rss_kib()
    return {
        "requests": served,
        "workers": [
            {"pid": pid, "before_kib": before[pid], "after_kib": after.get(pid)}
            for pid in sorted(before)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("output", nargs="?", default=str(ROOT / "bench" / "results.json"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated row names (prefixes) to load besides the baseline; "
        "a quick look while working: no memory phase, targets not judged",
    )
    parser.add_argument(
        "--no-large-site",
        action="store_true",
        help="skip the PostgreSQL large-site table even where TEST_DATABASE_URL is set",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `apt-get install wrk` (Debian/Ubuntu) or build it from source.")
    with tempfile.TemporaryDirectory() as tmp:
        database, instance = Path(tmp, "bench.sqlite"), Path(tmp, "instance")
        slugs = build_database(database, instance)
        server = Server(database, instance)
        try:
            results = measure(server, slugs, args)
        finally:
            server.stop()
    large = None
    if os.environ.get("TEST_DATABASE_URL") and not args.only and not args.no_large_site:
        # Issue #24: the same pages on a 100,000-post, 1,000,000-comment PostgreSQL site against
        # a small one built alike, in the same run (bench/bigsite.py; about 10 minutes). In a
        # process of its own: this one's bench app counts SQLite statements on every engine.
        large_json = Path(tempfile.mkdtemp()) / "large.json"
        subprocess.run(
            [sys.executable, "-m", "bench.bigsite", "--rounds", str(args.rounds),
             "--seconds", str(args.seconds), "--json", str(large_json)],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        large = json.loads(large_json.read_text())
        results["large_site"] = large
    Path(args.output).write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_table(results)
    if large is not None:
        from bench import bigsite

        print("\nThe large site on PostgreSQL (TEST_DATABASE_URL):")
        bigsite.print_report(large)
    print(f"\nJSON: {args.output}")


def build_database(database: Path, instance: Path) -> dict:
    os.environ["BLOG_INSTANCE_PATH"] = str(instance)
    from bench.app import create_bench_app
    from blog.database import upgrade_to_head
    from blog.extensions import db

    app = create_bench_app(str(database))
    with app.app_context():
        upgrade_to_head()
        slugs = site.build()
        db.engine.dispose()
    return slugs


def measure(server: Server, slugs: dict, args) -> dict:
    base = server.base
    rows = build_rows(base, slugs, server.database)
    if args.only:
        wanted = [name.strip() for name in args.only.split(",") if name.strip()]
        rows = [rows[0], *(r for r in rows[1:] if any(r.name.startswith(w) for w in wanted))]
    for row in rows:
        row.prepare()
        probe(base, row, data=row.data)
    cold = {row.name: row.queries for row in rows}
    for row in rows:  # warm-up: every worker renders and caches every page once
        load(server, row, args.warmup)
    for row in rows:  # SQL statements in the steady state (what the load measures)
        if row.data is not None:
            # Every post is a new comment, and SQLite's search index merges its segments every
            # few posts (some 40 statements more, counted too): the median of several posts is
            # what a post runs (the cold probe above may well be such a merge).
            counts = []
            for number in range(9):
                probe(base, row, data=row.data.replace(b"probe", f"probe+{number}".encode()))
                counts.append(int(row.queries))
            row.queries = str(int(statistics.median(counts)))
        elif not row.script:
            # The POST warm-up changed the content, so each worker fills its cache again first:
            # the fewest statements over several probes is what a warm worker runs.
            counts = []
            for _ in range(6):
                row.prepare()
                probe(base, row)
                counts.append(int(row.queries))
            row.queries = str(min(counts))
    rss = None if args.only else rss_phase(base, server, slugs)
    for number in range(args.rounds):
        print(f"round {number + 1}/{args.rounds}", file=sys.stderr)
        for row in rows:
            run = load(server, row, args.seconds)
            if run["errors"] or (run["non2xx"] and row.expect < 300):
                raise RuntimeError(f"{row.name}: {run}")
            row.runs.append(run)
    baseline = statistics.median(run["rps"] for run in rows[0].runs)
    article_0 = fetch_size(base + f"/posts/{slugs['article-0']}")
    front = []
    if not args.only or "nginx" in args.only:
        # deploy/nginx.conf in front of the same gunicorn (bench/nginx_rows.py), after the app's
        # own rows: the article from its microcache, and the same bytes as a static file.
        from bench.nginx_rows import nginx_rows

        article = f"/posts/{slugs['article-50']}"
        print("nginx rows", file=sys.stderr)
        front = nginx_rows(server.port, free_port(), article, args.seconds, args.rounds)
        for row in front:
            row.pop("runs", None)
            row["x_baseline"] = round(row["req_per_s"] / baseline, 3)
    table = []
    for row in rows:
        rps = statistics.median(run["rps"] for run in row.runs) / row.requests_per_view
        table.append(
            {
                "row": row.name,
                "path": row.path,
                "req_per_s": round(rps, 1),
                "p50_ms": round(statistics.median(r["p50"] for r in row.runs) / 1000, 2),
                "p99_ms": round(statistics.median(r["p99"] for r in row.runs) / 1000, 2),
                "bytes": row.body_bytes,
                "sql_per_request": row.queries,
                "sql_first_request": cold[row.name],
                "x_baseline": round(rps / baseline, 3),
                "cpu_ms": round(statistics.median(r["cpu_ms"] for r in row.runs), 2),
                "note": row.note
                + (
                    f" ({statistics.median(r['background_requests'] for r in row.runs):.0f} "
                    f"posts by the other client in {args.seconds} s)"
                    if row.background
                    else ""
                ),
            }
        )
    table.extend(front)
    by_name = {entry["row"]: entry for entry in table}
    article = by_name.get("article-50", {"bytes": article_0})
    return {
        "machine": machine(),
        "wrk": f"-t{THREADS} -c{CONNECTIONS} -d{args.seconds}s, {args.rounds} interleaved rounds",
        "rows": table,
        "rss": rss,
        "bytes_per_comment": round((article["bytes"] - article_0) / site.SMALL_THREAD),
        "comment_text_chars": len(site.COMMENT_TEXT) + 3,
        "targets": [] if args.only else targets(by_name, rss),
    }


def fetch_size(url: str) -> int:
    return len(urllib.request.urlopen(url, timeout=30).read())


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "note": "shared with other jobs; absolute numbers are noisy, ratios are the result",
    }


def targets(rows: dict, rss: dict) -> list[dict]:
    def cost(name):
        return 1 / rows[name]["req_per_s"]

    growth = max((w["after_kib"] - w["before_kib"]) / w["before_kib"] for w in rss["workers"])
    checks = [
        ("article-50 >= 0.5x baseline", rows["article-50"]["x_baseline"], 0.5, ">="),
        (
            "article-5000 first page cost <= 1.2x article-50",
            cost("article-5000, first page") / cost("article-50"),
            1.2,
            "<=",
        ),
        (
            "article-5000 last page cost <= 1.2x article-50",
            cost("article-5000, last page") / cost("article-50"),
            1.2,
            "<=",
        ),
        (
            "home page 500 cost <= 1.2x page 1",
            cost("home, page 500") / cost("home, page 1"),
            1.2,
            "<=",
        ),
        ("comment POST >= 0.15x baseline", rows["comment POST (htmx)"]["x_baseline"], 0.15, ">="),
        (
            "article-50 while comments are posted elsewhere >= 0.8x quiet",
            rows["article-50, comments posted elsewhere"]["req_per_s"]
            / rows["article-50"]["req_per_s"],
            0.8,
            ">=",
        ),
        ("worker RSS growth < 10 %", growth * 100, 10, "<"),
    ]
    cached, static = rows.get(nginx_names()[0]), rows.get(nginx_names()[1])
    if cached and static:
        checks.append(("article via the nginx cache >= 5x baseline", cached["x_baseline"], 5, ">="))
        checks.append(
            (
                "article via the nginx cache >= 0.5x nginx serving it as a file",
                cached["req_per_s"] / static["req_per_s"],
                0.5,
                ">=",
            )
        )
    out = []
    for name, value, limit, op in checks:
        met = {">=": value >= limit, "<=": value <= limit, "<": value < limit}[op]
        out.append({"target": name, "value": round(value, 3), "met": met})
    sizes = {
        rows[n]["sql_per_request"]
        for n in ("article-50", "article-5000, first page", "article-5000, last page")
    }
    out.append(
        {"target": "SQL per article page constant", "value": sorted(sizes), "met": len(sizes) == 1}
    )
    revalidate = rows["conditional GET (304)"]
    out.append(
        {
            "target": "conditional GET answers 304 without rendering (x baseline)",
            "value": revalidate["x_baseline"],
            "met": revalidate["bytes"] == 0,
        }
    )
    return out


def nginx_names() -> tuple[str, str]:
    from bench.nginx_rows import CACHED, STATIC

    return CACHED, STATIC


def print_table(results: dict) -> None:
    print(f"\n{results['wrk']}; gunicorn 2 sync workers; {results['machine']['cpus']} CPUs")
    header = (
        f"{'row':<40}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'bytes':>8}{'SQL':>5}{'1st':>5}"
        f"{'x base':>8}{'CPU ms':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in results["rows"]:
        print(
            f"{row['row']:<40}{row['req_per_s']:>8.0f}{row['p50_ms']:>8.2f}{row['p99_ms']:>8.2f}"
            f"{row['bytes']:>8}{row['sql_per_request']:>5}{row['sql_first_request']:>5}"
            f"{row['x_baseline']:>8.3f}{row['cpu_ms']:>8.2f}"
        )
    rss = results["rss"]
    if rss is None:
        print("\n(--only: a partial run; no memory phase, targets not judged)")
        return
    print(f"\nWorker RSS over {rss['requests']} article/home requests:")
    for worker in rss["workers"]:
        growth = (worker["after_kib"] - worker["before_kib"]) / worker["before_kib"] * 100
        print(
            f"  pid {worker['pid']}: {worker['before_kib']} KiB -> "
            f"{worker['after_kib']} KiB ({growth:+.1f} %)"
        )
    print("SQL: statements per request in the steady state; 1st: on the very first request.")
    print("CPU ms: the workers' CPU time per request (their mail senders' included).")
    print(
        f"Article HTML: {results['bytes_per_comment']} bytes per comment "
        f"(comment text about {results['comment_text_chars']} characters)"
    )
    print("\nTargets:")
    for target in results["targets"]:
        print(f"  [{'met' if target['met'] else 'MISSED'}] {target['target']}: {target['value']}")


if __name__ == "__main__":
    main()
