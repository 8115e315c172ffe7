"""What happens to a reader's comment when it is sent: approved, held for moderation, or spam.

Pure decision logic modelled on WordPress's defaults (``check_comment`` and
``wp_check_comment_disallowed_list``). Nothing here reads the request or the database: the caller
gathers the facts into a :class:`Submission`, loads :class:`Rules` from the app config and stores
the :class:`Decision` (its ``status`` and its human-readable ``reason``) on the comment.

Checks, first match wins:

1. the hidden trap field was filled in                            -> spam (silent)
2. the signed form timestamp is missing/invalid, or the form came
   back faster than ``min_seconds``                              -> spam (silent)
3. a disallowed word appears in any field                         -> spam (silent)
4. a signed-in site author wrote it                               -> approved
5. mode "all"                                                     -> pending
6. ``max_links`` links or more                                    -> pending
7. a moderation word appears in any field                         -> pending
8. mode "first-time" and this name and email have no approved
   comment yet                                                    -> pending
9. otherwise                                                      -> approved

As in WordPress, the link limit and the moderation words still hold comments when moderation is
off (mode "none"). An edit (``is_edit``) runs only the content rules 3, 4, 6 and 7; a site
author's comment skips the traps 1 and 2 (the signed-in session already proves a person).
"Silent" spam is answered exactly like a held comment, so a bot (or a person)
cannot learn which trap caught it or what is on the word list. The "trash" status is never chosen
here; it is only ever a moderator's action.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..models import CommentStatus
from ..settings import site_config
from ..web.text import unescape

MODES = ("first-time", "all", "none")

# Plain-language names of the submission fields, used in reasons shown to moderators.
FIELD_LABELS = {
    "name": "name",
    "email": "email address",
    "url": "website",
    "body": "comment text",
    "ip": "IP address",
    "user_agent": "browser",
}

# Comment.moderation_reason is a String(255); words quoted in a reason are shortened to fit.
MAX_QUOTED_WORD = 60

# --- Link counting --------------------------------------------------------------------------
# Every pattern below is linear: each repetition is a negated character class that stops at the
# next "<" (or whitespace), and no two repetitions can match the same characters, so there is no
# catastrophic backtracking however the input is built.

# An HTML start or end tag: "<a href=...>", "</a>", "<br/>". The name must be followed by
# whitespace, "/" or ">", so Markdown autolinks such as <http://example.com> are *text*, not tags.
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(?:[\s/][^<>]*)?>")
# An href attribute inside a tag's text (WordPress counts '<a [^>]*href').
_HREF_RE = re.compile(r"[\s/\"']href\s*=", re.IGNORECASE)
# A bare URL a linkifier would turn into a link: http://, https:// or www. followed by a run of
# characters up to whitespace, a quote or an angle bracket. "www." right after "://" belongs to
# the URL already matched; after a word character, "." or "@" it is not a link start ("awww.").
_BARE_URL_RE = re.compile(
    r"https?://[^\s<>\"']+|(?<![\w.@/-])www\.[^\s<>\"']+",
    re.IGNORECASE,
)
# Characters that render as nothing; dropped before matching words, so "cas\u00adino" is caught.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"))


def count_links(text: str) -> int:
    """How many links a comment contains, counted as a moderator would see them.

    * Each ``<a ...>`` tag with an ``href`` attribute counts as one link (case-insensitive, any
      scheme: ``mailto:`` anchors count too, as in WordPress).
    * Each bare URL in the text counts as one link: a run starting with ``http://``, ``https://``
      or ``www.`` and ending at whitespace, a quote or ``<``/``>``. A URL inside another URL
      (``https://web.archive.org/web/2020/https://example.com``) is part of the same run and
      counts once. Bare domains (``example.com``), bare email addresses, ``mailto:`` text and
      other schemes (``ftp://``) are not counted: linkifiers do not reliably turn them into links.
    * A URL in an anchor's href attribute is never counted again, and URLs written as an anchor's
      text belong to that anchor: an anchor counts as one link, or as the number of URLs in its
      text if that is more. ``<a href="https://x.example">https://x.example</a>`` is one link.
      An anchor that is never closed runs to the end of the text, and its URLs still count.
    * URLs inside other tags' attributes (``<img src=...>``) are not counted.

    Markdown needs no special case: ``[text](https://x.example)`` and ``<https://x.example>`` each
    contain one bare URL.
    """
    links = 0
    in_anchor = False
    anchor_has_href = False
    anchor_urls = 0

    def close_anchor() -> None:
        nonlocal links, in_anchor, anchor_urls
        if in_anchor:
            links += max(int(anchor_has_href), anchor_urls)
        in_anchor = False
        anchor_urls = 0

    position = 0
    for tag in _TAG_RE.finditer(text):
        urls = _count_bare_urls(text[position : tag.start()])
        if in_anchor:
            anchor_urls += urls
        else:
            links += urls
        position = tag.end()
        if tag.group(2).lower() != "a":
            continue
        close_anchor()  # "</a>" ends the anchor; a new "<a>" implicitly ends the previous one
        if not tag.group(1):
            in_anchor = True
            anchor_has_href = _HREF_RE.search(tag.group(0)) is not None
    urls = _count_bare_urls(text[position:])
    if in_anchor:
        anchor_urls += urls
    else:
        links += urls
    close_anchor()
    return links


def _count_bare_urls(text: str) -> int:
    return sum(1 for _ in _BARE_URL_RE.finditer(text))


def visible_text(text: str) -> str:
    """Text roughly as a reader sees it: tags removed, entities decoded, invisible chars dropped."""
    return unescape(_TAG_RE.sub("", text)).translate(_INVISIBLE)


# --- Word lists -----------------------------------------------------------------------------


def find_word(words: Iterable[str], *fields: tuple[str, str]) -> tuple[str, str] | None:
    """The first word of ``words`` found in any field, as ``(word, field label)``; else None.

    ``fields`` are ``(label, text)`` pairs, e.g. ``("website", submission.url)``. Matching is a
    case-insensitive substring test, as in WordPress: "casino" also matches "casinos", and an IP
    "10.0.0.1" also matches "10.0.0.12". Words are taken in list order and, for each word, the
    fields in the order given (WordPress's order). Blank words are ignored, surrounding spaces are
    stripped, so an empty list never matches. The word is returned stripped and lower-cased.
    """
    haystacks = [(label, (text or "").lower()) for label, text in fields]
    for raw in words:
        word = raw.strip().lower()
        if not word:
            continue
        for label, text in haystacks:
            if word in text:
                return word, label
    return None


def _normalise_words(value: object, setting: str) -> tuple[str, ...]:
    """A word list from config: a list/tuple/set, or one string split on newlines and commas."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: Iterable[object] = re.split(r"[\n,]", value)
    elif isinstance(value, list | tuple):
        items = value
    elif isinstance(value, set | frozenset):
        items = sorted(value, key=str)
    else:
        raise ValueError(
            f"{setting} must be a list of words or a string with one word or phrase per line "
            f"(or separated by commas), not {type(value).__name__}."
        )
    words: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"{setting} entries must be strings, not {item!r}.")
        word = item.strip().lower()
        if word and word not in words:
            words.append(word)
    return tuple(words)


# --- Rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """The site's comment moderation settings (WordPress's Settings > Discussion defaults)."""

    mode: str = "first-time"  # "first-time" | "all" | "none"
    max_links: int = 2  # a comment with this many links or more is held; 0 disables
    moderation_words: tuple[str, ...] = ()  # hold if any appears
    disallowed_words: tuple[str, ...] = ()  # send to spam if any appears
    min_seconds: float = 3.0  # a form sent faster than this after rendering is spam; 0 disables

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(
                f"Unknown comment moderation mode {self.mode!r} (COMMENT_MODERATION): use one of "
                + ", ".join(f"{mode!r}" for mode in MODES)
                + "."
            )
        if isinstance(self.max_links, bool) or not isinstance(self.max_links, int):
            raise ValueError(f"max_links must be a whole number, not {self.max_links!r}.")
        if self.max_links < 0:
            raise ValueError(f"max_links must be 0 (no limit) or more, not {self.max_links}.")
        if (
            isinstance(self.min_seconds, bool)
            or not isinstance(self.min_seconds, int | float)
            or not math.isfinite(self.min_seconds)
            or self.min_seconds < 0
        ):
            raise ValueError(
                f"min_seconds must be a number of seconds, 0 or more, not {self.min_seconds!r}."
            )
        # Normalised here too, so Rules built by hand behave like Rules.from_config and a single
        # string is never mistaken for a list of one-letter words.
        for name in ("moderation_words", "disallowed_words"):
            object.__setattr__(self, name, _normalise_words(getattr(self, name), name))

    @classmethod
    def from_config(cls, config: Mapping) -> Rules:
        """Rules from Flask config; missing (or None) settings keep their defaults.

        Reads COMMENT_MODERATION, COMMENT_MAX_LINKS, COMMENT_MODERATION_WORDS,
        COMMENT_DISALLOWED_WORDS and COMMENT_MIN_SECONDS. Values may be strings, as they come
        from environment variables or a settings form: numbers are parsed, the mode is
        case-insensitive ("first_time" is accepted for "first-time"), and a word list may be one
        string with a word or phrase per line or separated by commas. Raises ValueError naming
        the setting when a value is unusable.
        """
        defaults = cls()
        mode = config.get("COMMENT_MODERATION")
        if mode is None:
            mode = defaults.mode
        elif isinstance(mode, str):
            mode = mode.strip().lower().replace("_", "-")
        else:
            raise ValueError(f"COMMENT_MODERATION must be one of {', '.join(MODES)}, not {mode!r}.")
        max_links = config.get("COMMENT_MAX_LINKS")
        min_seconds = config.get("COMMENT_MIN_SECONDS")
        return cls(
            mode=mode,
            max_links=defaults.max_links
            if max_links is None
            else _whole_number(max_links, "COMMENT_MAX_LINKS"),
            moderation_words=_normalise_words(
                config.get("COMMENT_MODERATION_WORDS"), "COMMENT_MODERATION_WORDS"
            ),
            disallowed_words=_normalise_words(
                config.get("COMMENT_DISALLOWED_WORDS"), "COMMENT_DISALLOWED_WORDS"
            ),
            min_seconds=defaults.min_seconds
            if min_seconds is None
            else _seconds(min_seconds, "COMMENT_MIN_SECONDS"),
        )


def _whole_number(value: object, setting: str) -> int:
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            return int(text)
    elif isinstance(value, int) and not isinstance(value, bool):
        if value >= 0:
            return value
    elif isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    raise ValueError(f"{setting} must be a whole number, 0 or more (0 = no limit), not {value!r}.")


def _seconds(value: object, setting: str) -> float:
    number: float | None = None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    if number is None or not math.isfinite(number) or number < 0:
        raise ValueError(f"{setting} must be a number of seconds, 0 or more, not {value!r}.")
    return number


# --- The decision ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """The facts about one comment as sent, gathered by the caller."""

    name: str
    email: str
    url: str
    body: str
    ip: str
    user_agent: str = ""
    honeypot: str = ""  # value of the hidden trap field; humans leave it empty
    # None = the signed form timestamp was missing, invalid or tampered with.
    seconds_since_render: float | None = None
    by_site_author: bool = False  # a signed-in author replying from the site
    # This name and email together already have an approved comment (WordPress's rule).
    has_approved_comment: bool = False
    # The poster changed the text of a comment already sent: only the content rules apply
    # (disallowed words, links, moderation words); the bot traps and the mode were passed then.
    is_edit: bool = False


@dataclass(frozen=True)
class Decision:
    status: str  # a CommentStatus value
    reason: str  # shown to moderators, e.g. 'Held: contains 3 links (the limit is 2).'
    # True when it went to spam silently: the reader sees the normal "awaiting moderation" answer.
    silent: bool = False


def submission_fields(submission: Submission) -> list[tuple[str, str]]:
    """The ``(label, text)`` pairs the word lists are checked against, in WordPress's order.

    The comment text is checked as written and as a reader sees it (tags removed, entities
    decoded, invisible characters dropped), so "ca<b>sino</b>" and "cas&#105;no" are caught.
    """
    body = submission.body or ""
    fields = [
        (FIELD_LABELS["name"], submission.name),
        (FIELD_LABELS["email"], submission.email),
        (FIELD_LABELS["url"], submission.url),
        (FIELD_LABELS["body"], body),
    ]
    shown = visible_text(body)
    if shown != body:
        fields.append((FIELD_LABELS["body"], shown))
    fields += [
        (FIELD_LABELS["ip"], submission.ip),
        (FIELD_LABELS["user_agent"], submission.user_agent),
    ]
    return fields


def _quote(word: str) -> str:
    if len(word) > MAX_QUOTED_WORD:
        word = word[: MAX_QUOTED_WORD - 1].rstrip() + "\u2026"
    return f"\u201c{word}\u201d"


def _seconds_text(seconds: float) -> str:
    return f"{seconds:.1f}"


def _spam(reason: str) -> Decision:
    return Decision(CommentStatus.SPAM.value, reason, silent=True)


def _held(reason: str) -> Decision:
    return Decision(CommentStatus.PENDING.value, reason)


def _approved(reason: str) -> Decision:
    return Decision(CommentStatus.APPROVED.value, reason)


def decide(submission: Submission, rules: Rules) -> Decision:
    """Approve, hold or mark as spam one submitted comment; see the module docstring."""
    # The traps are for anonymous forms: a signed-in author has proved who they are.
    if not submission.is_edit and not submission.by_site_author:
        trapped = _bot_trap(submission, rules)
        if trapped:
            return trapped

    fields = submission_fields(submission)
    found = find_word(rules.disallowed_words, *fields)
    if found:
        word, label = found
        return _spam(f"Spam: contains the disallowed word {_quote(word)} in the {label}.")

    if submission.by_site_author:
        return _approved("Approved: written by a site author.")

    if rules.mode == "all" and not submission.is_edit:
        return _held("Held: every comment waits for moderation.")

    if rules.max_links:
        links = count_links(submission.body or "")
        if links >= rules.max_links:
            noun = "link" if links == 1 else "links"
            return _held(f"Held: contains {links} {noun} (the limit is {rules.max_links}).")

    found = find_word(rules.moderation_words, *fields)
    if found:
        word, label = found
        return _held(f"Held: contains the moderation word {_quote(word)} in the {label}.")

    if submission.is_edit:
        return _approved("Approved: the edited text passed the content checks.")
    if rules.mode == "first-time":
        if not submission.has_approved_comment:
            return _held("Held: first comment from this name and email address.")
        return _approved("Approved: this name and email address have an approved comment.")
    return _approved("Approved: moderation is off.")


def _bot_trap(submission: Submission, rules: Rules) -> Decision | None:
    if (submission.honeypot or "").strip():
        return _spam("Spam: the hidden trap field was filled in.")
    seconds = submission.seconds_since_render
    # NaN would slip past "<", and an infinite age is no real timestamp either.
    if seconds is None or isinstance(seconds, bool) or not math.isfinite(seconds):
        return _spam("Spam: the form timestamp was missing or invalid.")
    if seconds < rules.min_seconds:
        return _spam(
            f"Spam: sent {_seconds_text(seconds)} s after the form was shown "
            f"(minimum {rules.min_seconds:g} s)."
        )
    return None


# --- the rules in force ---------------------------------------------------------------------------

# The settings Rules reads; parsed once per distinct set of values, not per comment.
RULE_SETTINGS = (
    "COMMENT_MODERATION",
    "COMMENT_MAX_LINKS",
    "COMMENT_MODERATION_WORDS",
    "COMMENT_DISALLOWED_WORDS",
    "COMMENT_MIN_SECONDS",
)
_parsed_rules: dict[str, Rules] = {}


def _rules_key(config) -> str:
    return json.dumps([config.get(key) for key in RULE_SETTINGS], default=str)


def check_rules(config) -> Rules:
    """Parse and remember the moderation rules; ValueError names a setting that is unusable.

    Called at start-up (a bad configuration stops the app) and when the settings form saves
    (the author sees the problem), so a comment never meets an unparsed rule.
    """
    key = _rules_key(config)
    rules = _parsed_rules.get(key)
    if rules is None:
        rules = Rules.from_config(config)
        if len(_parsed_rules) > 32:  # settings rarely change; never let this grow unbounded
            _parsed_rules.clear()
        _parsed_rules[key] = rules
    return rules


def moderation_rules() -> Rules:
    """The rules in force now (saved settings over configuration), already validated."""
    return check_rules(site_config())
