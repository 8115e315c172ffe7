"""Demo content for the "Good News" example site: articles, pages, categories and menus.

Each entry in ``ARTICLES`` describes one fictional, upbeat news story that can be loaded into a
fresh database to give the blog something to show. The stories are original writing for this
project; the places and people in them are invented. The site around them is what a small real
site has: an "About" page with a child page, a "Contact" page without comments, categories
(one with a child category), a sticky post, a header menu and a footer menu.

Keys per article:

- ``title``: headline shown on the index and article pages.
- ``slug``: unique, lowercase, hyphen-separated identifier used in URLs.
- ``summary``: the excerpt, one or two plain-text sentences (at most 300 characters) that
  listings show instead of the body's start; empty for the article whose listing shows the
  part before its ``<!--more-->``.
- ``tags``: tuple of one to three lowercase tag names.
- ``categories``: tuple of one or more category names (``CATEGORIES``).
- ``sticky``: shown first on the home page (one article).
- ``days_ago``: how many days before today the article is dated.
- ``body``: Markdown source for the article text.
"""

# Category name -> its parent's name (None: a top-level category), parents first. Slugs are
# unique across tags and categories (models.Tag): these names leave the tags their slugs
# (/tag/science, /tag/community, which the articles link to).
CATEGORIES = {
    "Science & Nature": None,
    "Community Life": None,
    "Volunteering": "Community Life",
}

ARTICLES = (
    {
        "title": "Riverside Library Opens a Tool-Lending Shelf",
        "slug": "riverside-library-tool-lending-shelf",
        "summary": (
            "Library card holders in Riverside can now borrow drills, ladders and sewing machines "
            "alongside their novels, and the first week saw more than two hundred loans."
        ),
        "tags": ("community", "city"),
        "categories": ("Community Life",),
        "days_ago": 2,
        "body": """\
The Riverside Public Library has always lent out books, films and the occasional board game.
Since Monday it has also been lending out cordless drills, stepladders, a tile cutter and, to the
surprise of the staff, a very popular pasta machine. The new tool-lending shelf sits just past the
returns desk, and by the end of its first week it had recorded 214 loans.

## Where the tools came from

Branch manager Odile Farrant says the idea started with a suggestion card left in the box by the
front door. "Someone wrote that they had bought a drill to hang one picture and never used it
again," she said. "We realised half the town probably had the same drill in a cupboard." A public
appeal in the spring brought in donations, and a small grant from the town council paid for
labels, storage bins and safety checks.

The shelf currently holds:

- 12 cordless drills with spare batteries
- 6 stepladders of different heights
- 4 sewing machines, each with a starter kit of thread
- a pressure washer, a carpet cleaner and two garden strimmers
- an assortment of kitchen gadgets, including the famous pasta machine

## How borrowing works

Staff wanted the process to feel exactly like borrowing a book, so there is no extra paperwork
beyond a short safety card for the power tools.

1. Browse the shelf in person or check the online catalogue for what is available.
2. Bring your library card to the desk and read the one-page safety card for the item.
3. Take the tool home for up to seven days; most items can be renewed once.
4. Return it clean to the desk, where a volunteer checks it over before it goes back out.

Volunteers from the local hardware club run a "tool health" session every Saturday morning,
sharpening blades, replacing worn bits and testing batteries. They also offer ten-minute
demonstrations for anyone who has never used a particular tool before.

## What comes next

The library plans to add a second shelf in the autumn focused on camping gear and outdoor
equipment, and is already taking donations of tents and sleeping mats in good condition. Farrant
says the most rewarding part so far has been the conversations at the desk. "People come in for a
ladder and leave with a cookbook and a new friend from the hardware club," she said. "That is
exactly what a library is for."
""",
    },
    {
        "title": "River Clean-Up Volunteers Count What They Found",
        "slug": "river-clean-up-volunteers-count-results",
        "summary": (
            "Ninety-three volunteers spent a Saturday along the Mallow River and then did "
            "something unusual: they sorted and counted every item they pulled out, so next year "
            "can be compared fairly."
        ),
        "tags": ("environment", "community"),
        "categories": ("Volunteering", "Science & Nature"),
        "days_ago": 5,
        "body": """\
Ninety-three volunteers in waders, gloves and borrowed high-visibility vests spent last Saturday
working along a four-kilometre stretch of the Mallow River. River clean-ups are not new in the
valley, but this year the organisers added a step: before anything went into a skip, every item
was sorted by type and counted on a clipboard.

The tally was organised by the Friends of the Mallow, a group that formed three years ago after a
handful of dog walkers started picking up litter on their morning routes. Coordinator Priya
Dallow says counting was the missing piece. "We always filled lots of bags, but we could never
say whether things were getting better," she said. "Now we have a baseline."

Here is what the teams recorded over the day:

| Item type             | Count | Change from last year's estimate |
|-----------------------|------:|----------------------------------|
| Plastic bottles       |   412 | down about a third               |
| Drinks cans           |   287 | roughly the same                 |
| Food wrappers         |   530 | down slightly                    |
| Shopping trolleys     |     3 | down from 7                      |
| Tyres                 |     5 | down from 11                     |
| Mystery objects       |    19 | a new category this year         |

The drop in bottles lines up with the deposit-return scheme that the region introduced last
year, and volunteers noticed far fewer bottles caught in the reeds near the footbridge. The
"mystery objects" category included a garden gnome, a bowling ball and a surprisingly intact
typewriter, which has since been cleaned up and given to the local primary school.

Long-time resident Harold Pim, who has lived beside the river for over forty years, joined the
team working the stretch beneath the mill. He summed up the mood of the day:

> When I was a boy you could see the stones on the bottom all the way across. For a long while
> you could not. This morning I saw them again by the old mill, and I stood there for a good
> minute just looking.

Water samples taken by a sixth-form science class on the same day showed clearer readings than
last spring, and two kingfishers were spotted near the weir by volunteers on their lunch break.
The Friends of the Mallow will share the full spreadsheet with the county environment office and
plan to repeat the count every spring using the same categories.

If you would like to join next year, or find other volunteer groups near you, browse our
[community stories](/tag/community) for more ideas. The organisers say no experience is
needed: just sturdy shoes and a willingness to get a little muddy.
""",
    },
    {
        "title": "Neighbourhood Weather Stations Share Their First Month of Data",
        "slug": "neighbourhood-weather-stations-first-month",
        # No excerpt: listings show the part before <!--more--> (the first two paragraphs).
        "summary": "",
        "tags": ("science", "technology", "community"),
        "categories": ("Science & Nature", "Community Life"),
        "days_ago": 9,
        "body": """\
A month ago, forty households in Eastbrook bolted small white boxes to their garden fences,
balconies and shed roofs. Each box holds a temperature and humidity sensor, a simple rain gauge
and a tiny computer that sends readings over home wi-fi every ten minutes. Together they form the
Eastbrook Weather Network, and this week the volunteers behind it published their first monthly
summary.

The project began at a meet-up of the town's electronics club, where members were frustrated that
the nearest official weather station sits at an airfield twelve kilometres away. "The forecast
would say it was dry, and it would be pouring on the high street," said club secretary Mina
Okafor. Kits cost about the same as a takeaway dinner for two, and the club ran three evening
workshops to help people solder and assemble them.

<!--more-->

The results have already been revealing. Streets near the park ran up to two degrees cooler on
warm afternoons than the tightly packed terraces by the station, and a single heavy shower on the
fourteenth dropped three times as much rain on the north side of town as on the south. Gardeners
have started checking the network map before deciding whether to water.

The software is deliberately simple so that anyone can read it. Okafor shared the short script
that produces the daily average for each station, which newcomers are encouraged to tinker with:

```python
from statistics import mean


def daily_average(readings):
    # Return the mean temperature from a list of (time, celsius) pairs.
    temps = [celsius for _, celsius in readings if celsius is not None]
    return round(mean(temps), 1) if temps else None


print(daily_average([("06:00", 11.2), ("12:00", 17.8), ("18:00", 15.1)]))
```

Skipping missing values mattered more than expected: a few stations dropped offline during a
router update, and the club did not want gaps to drag the averages around. Next month they plan
to add a check that flags any sensor reading wildly different from its neighbours, which usually
means a box has ended up in direct sunlight.

Teachers at Eastbrook Secondary are using the live data in geography lessons, and students have
built a small dashboard that compares the network with the official forecast each evening. The
club hopes to reach sixty stations by winter, with a particular push to fill gaps on the outskirts
where coverage is thinnest. Anyone interested can join the next build evening at the community
hall; soldering irons, tea and biscuits are provided.
""",
    },
    {
        "title": "Hillcrest Primary Switches On Its Solar Roof",
        "slug": "hillcrest-primary-solar-roof",
        "summary": (
            "After two years of bake sales and grant applications, Hillcrest Primary's new solar "
            "panels now supply roughly half of the school's daytime electricity."
        ),
        "tags": ("environment", "science"),
        "categories": ("Science & Nature",),
        "days_ago": 16,
        "body": """\
There was a countdown, a ribbon and a great deal of cheering in the playground at Hillcrest
Primary on Thursday as the school officially switched on its new solar roof. The 120 panels
cover most of the south-facing slope above the main hall and, on a bright day, can supply around
half of the electricity the school uses during lesson hours.

The project was driven by the pupils themselves. Two years ago the school's eco-council, a group of
children aged eight to eleven, carried out an energy audit as part of a science topic. They
walked the corridors with clipboards, counted light fittings and discovered that the hall lights
were often left on over lunch. Their presentation to the governors ended with a simple question:
why not make some of our own electricity?

Raising the money took time. Families organised bake sales, a sponsored walk and a second-hand
uniform stall, while staff wrote applications to a regional green-schools fund and a local
energy cooperative. The final piece came from a community share offer in which residents bought
small stakes in the installation and will receive a modest return from the savings.

Head teacher Daniel Osei says the benefits go beyond the bills. A display screen in the entrance
hall now shows how much power the panels are producing in real time, and classes check it each
morning. "Year Four can tell you the difference between a kilowatt and a kilowatt-hour better
than most adults," he said. "They have started predicting tomorrow's output from the weather
forecast, and they get quite competitive about it."

Savings on electricity are expected to pay for a new set of library books and a school garden
greenhouse within the first year. On weekends and during holidays, when the school is mostly
empty, spare electricity is exported to the grid and the income goes back to the cooperative's
members.

The eco-council is not resting. Its next proposal, already on the governors' agenda, is a
rainwater tank to supply the planned greenhouse. The children have measured the roof, calculated
how much rain it collects in an average month, and prepared a very persuasive poster.
""",
    },
    {
        "title": "Saltmarsh Repair Cafe Celebrates Its Thousandth Fix",
        "slug": "saltmarsh-repair-cafe-thousandth-fix",
        "summary": (
            "A monthly repair cafe in a church hall has now mended its thousandth item, a 1970s "
            "table lamp, and its volunteers estimate they have kept over two tonnes of goods out "
            "of landfill."
        ),
        "tags": ("community", "technology", "city"),
        "categories": ("Volunteering", "Community Life"),
        "sticky": True,
        "days_ago": 40,
        "body": """\
On the first Saturday of every month, the hall of St Aidan's in Saltmarsh fills with the smell
of coffee and solder. Residents arrive carrying toasters, torn jackets, wobbly chairs and
radios that stopped working years ago. Volunteers at a row of trestle tables try to fix them,
free of charge, while the owners watch and learn. Last weekend the Saltmarsh Repair Cafe reached
a milestone: its thousandth successful repair.

The honour went to a brass table lamp from the 1970s, brought in by retired postwoman Jean
Arkwright. The lamp had belonged to her mother and had not lit up for nearly a decade. Volunteer
electrician Tomasz Wierzbicki traced the fault to a corroded switch, replaced it and rewired the
plug in about twenty minutes. When the bulb came on, the whole hall applauded.

The cafe started four years ago with three volunteers and a borrowed toolbox. Today it has a
rota of around twenty fixers, including a seamstress, two bicycle mechanics, a retired watchmaker
and a teenager who is remarkably good with games consoles. Organiser Ruth Bellamy keeps a
logbook of every item, and estimates that the repairs so far have kept more than two tonnes of
goods out of landfill.

Not everything can be saved, and the volunteers are honest when a repair is not possible. Even
then, visitors usually leave knowing more than when they arrived. Bellamy says that is the real
point of the project. "We never just take something away and hand it back," she said. "You sit
next to the fixer, you hold the torch, you see what went wrong. Next time, you might fix it
yourself."

The most common repairs, according to the logbook, are kettles, vacuum cleaners, zips and
bicycle brakes, while the strangest so far was a singing fish ornament that now sings again,
for better or worse. Local businesses have started donating spare parts, and the town's hardware
shop offers a discount to anyone who brings a repair cafe receipt.

To mark the milestone, the cafe is launching a series of short evening classes covering basic
sewing, simple electrical safety and bike maintenance. The first session sold out within a day,
so a second date has already been added. The next regular repair cafe takes place on the first
Saturday of next month, from ten until one, and newcomers are always welcome, broken or not.
""",
    },
)

# Pages, parents before children. ``parent`` is the parent page's slug.
PAGES = (
    {
        "title": "About",
        "slug": "about",
        "parent": None,
        "menu_order": 1,
        "comments_open": True,
        "body": """\
Good News is a small, independent site that reports on the things people in our towns are
building, fixing and sharing. We look for stories where someone noticed a problem close to home
and did something about it, and we try to tell them with enough detail that others can do the
same.

We publish a few articles a month. Every story is checked with the people in it before it goes
out, and corrections are added to the article with the date they were made.

Have a story for us? The [contact page](/contact/) says how to reach the desk.
""",
    },
    {
        "title": "Our team",
        "slug": "our-team",
        "parent": "about",
        "menu_order": 1,
        "comments_open": True,
        "body": """\
The Good News desk is three part-time writers and a rota of volunteer photographers.

- **Nell Ashdown** edits the site and writes about schools and science.
- **Kofi Mensah** covers repair cafes, libraries and anything with a soldering iron.
- **Ines Varga** looks after the community pages and the weekly round-up.

None of us is paid by the projects we write about, and we say so when we know the people
involved.
""",
    },
    {
        "title": "Contact",
        "slug": "contact",
        "parent": None,
        "menu_order": 2,
        # A page to read, not to discuss: its comments are off.
        "comments_open": False,
        "body": """\
Write to the desk at **desk@goodnews.example**. We read everything and answer most messages
within a week.

When you suggest a story, tell us who is behind it, where it happens and how we can reach them.
We never publish your address or phone number.
""",
    },
)

# The header and footer menus: entries in order, each a link (``url``), a page (its slug), a
# category or a tag (its name); ``children`` are nested one level.
MENUS = {
    "header": (
        {"kind": "link", "url": "/", "label": "Home"},
        {"kind": "page", "target": "about", "children": ({"kind": "page", "target": "our-team"},)},
        {"kind": "category", "target": "Science & Nature"},
    ),
    "footer": (
        {"kind": "page", "target": "contact"},
        {"kind": "link", "url": "/feed.xml", "label": "Feed"},
    ),
}
