"""Small shipped vocabularies for standardisation: nicknames, legal suffixes, street words.

Written for this project, not downloaded. Nicknames map to one canonical given
name so that "Bob Smith" and "Robert Smith" agree on the given name; a nickname
shared by two names (e.g. "Chris") maps to the more common one, and the fuzzy
comparison levels catch the rest.
"""

from __future__ import annotations

NICKNAMES: dict[str, str] = {
    "abby": "abigail", "al": "albert", "alex": "alexander", "andy": "andrew",
    "drew": "andrew", "tony": "anthony", "becky": "rebecca", "becca": "rebecca",
    "ben": "benjamin", "benny": "benjamin", "bill": "william", "billy": "william",
    "will": "william", "willy": "william", "liam": "william", "bob": "robert",
    "bobby": "robert", "rob": "robert", "robbie": "robert", "bert": "robert",
    "cathy": "catherine", "kathy": "katherine", "kate": "katherine", "katie": "katherine",
    "kat": "katherine", "charlie": "charles", "chuck": "charles", "chris": "christopher",
    "kit": "christopher", "dan": "daniel", "danny": "daniel", "dave": "david",
    "davy": "david", "debbie": "deborah", "deb": "deborah", "dick": "richard",
    "rich": "richard", "rick": "richard", "ricky": "richard", "don": "donald",
    "donnie": "donald", "ed": "edward", "eddie": "edward", "ted": "edward",
    "ned": "edward", "liz": "elizabeth", "beth": "elizabeth", "betsy": "elizabeth",
    "lizzie": "elizabeth", "eliza": "elizabeth", "frank": "francis", "fred": "frederick",
    "freddie": "frederick", "greg": "gregory", "hank": "henry", "harry": "henry",
    "jack": "john", "johnny": "john", "jon": "jonathan", "jim": "james",
    "jimmy": "james", "jamie": "james", "jen": "jennifer", "jenny": "jennifer",
    "jeff": "jeffrey", "jerry": "gerald", "joe": "joseph", "joey": "joseph",
    "josh": "joshua", "ken": "kenneth", "kenny": "kenneth", "kim": "kimberly",
    "larry": "lawrence", "len": "leonard", "lenny": "leonard", "maggie": "margaret",
    "meg": "margaret", "peggy": "margaret", "marge": "margaret", "matt": "matthew",
    "mike": "michael", "mikey": "michael", "mick": "michael", "nick": "nicholas",
    "nicky": "nicholas", "pat": "patricia", "patty": "patricia", "trish": "patricia",
    "pete": "peter", "phil": "phillip", "ray": "raymond", "ron": "ronald",
    "ronnie": "ronald", "sam": "samuel", "sammy": "samuel", "steve": "steven",
    "stevie": "steven", "stephen": "steven", "sue": "susan", "susie": "susan",
    "tom": "thomas", "tommy": "thomas", "tim": "timothy", "timmy": "timothy",
    "vicky": "victoria", "vic": "victor", "walt": "walter", "wes": "wesley",
    "zach": "zachary", "zack": "zachary", "sandy": "sandra", "cindy": "cynthia",
    "pam": "pamela", "barb": "barbara", "annie": "ann", "anna": "ann",
    "sasha": "alexander", "misha": "mikhail", "vanya": "ivan", "dima": "dmitri",
    "pepe": "jose", "paco": "francisco", "nacho": "ignacio", "lupe": "guadalupe",
}  # fmt: skip

# Company legal forms, standardised (lower case, no punctuation), removed from the
# end of a company name: "Acme Widgets L.L.C." and "ACME WIDGETS LLC" compare equal.
LEGAL_SUFFIXES: tuple[str, ...] = (
    "llc", "inc", "incorporated", "corp", "corporation", "co", "company", "ltd",
    "limited", "plc", "lp", "llp", "lllp", "pllc", "pc", "pa", "gmbh", "mbh", "ag",
    "kg", "ug", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "oyj", "ab",
    "as", "asa", "aps", "pty", "sl", "kft", "zrt", "doo", "sro", "ooo", "zao", "oao",
    "pjsc", "jsc", "bhd", "sdn", "kk",
)  # fmt: skip

# Street words, standardised to the USPS abbreviation.
STREET_WORDS: dict[str, str] = {
    "street": "st", "avenue": "ave", "av": "ave", "drive": "dr", "lane": "ln",
    "road": "rd", "boulevard": "blvd", "parkway": "pkwy", "court": "ct",
    "place": "pl", "square": "sq", "terrace": "ter", "highway": "hwy",
    "circle": "cir", "plaza": "plz", "north": "n", "south": "s", "east": "e",
    "west": "w", "apartment": "apt", "suite": "ste", "floor": "fl", "mount": "mt",
}  # fmt: skip
