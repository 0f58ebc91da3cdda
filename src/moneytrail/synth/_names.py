"""Small vocabularies for synthetic names and places (invented, mixed, no traits)."""

from __future__ import annotations

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda William Elizabeth David Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Andrew Emily "
    "Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah "
    "Timothy Stephanie Ronald Rebecca Jason Laura Edward Helen Jeffrey Sharon Ryan Cynthia "
    "Jacob Kathleen Gary Amy Nicholas Angela Eric Shirley Jonathan Anna Stephen Ruth Larry "
    "Brenda Justin Pamela Scott Nicole Brandon Katherine Samuel Samantha Gregory Christine "
    "Alexander Emma Frank Catherine Raymond Debra Patrick Rachel Jack Carolyn Dennis Janet "
    "Maria Jose Luis Ana Carlos Sofia Wei Mei Hiroshi Yuki Priya Arjun Fatima Omar Olga Ivan "
    "Kwame Amara Lena Jonas Marta Pedro Nadia Tomas Irina Chen Lin Aisha Youssef Elena Marco"
).split()

LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
    "Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris "
    "Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard "
    "Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz "
    "Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Novak Kowalski "
    "Okafor Mensah Tanaka Sato Chen Wang Singh Kumar Haddad Khan Petrov Ivanova Larsen Berg"
).split()

NICKNAMES = {
    "Robert": "Bob",
    "William": "Bill",
    "Richard": "Dick",
    "James": "Jim",
    "John": "Jack",
    "Michael": "Mike",
    "Elizabeth": "Liz",
    "Patricia": "Pat",
    "Jennifer": "Jen",
    "Margaret": "Peggy",
    "Christopher": "Chris",
    "Matthew": "Matt",
    "Anthony": "Tony",
    "Joseph": "Joe",
    "Thomas": "Tom",
    "Charles": "Charlie",
    "Daniel": "Dan",
    "Steven": "Steve",
    "Andrew": "Andy",
    "Kenneth": "Ken",
    "Katherine": "Kate",
    "Samuel": "Sam",
    "Alexander": "Alex",
    "Nicholas": "Nick",
    "Rebecca": "Becky",
    "Jonathan": "Jon",
    "Timothy": "Tim",
    "Deborah": "Debbie",
    "Kimberly": "Kim",
    "Gregory": "Greg",
}

CITIES = (
    ("Springfield", "IL", "627"),
    ("Riverton", "OH", "441"),
    ("Lakeside", "TX", "752"),
    ("Fairview", "GA", "303"),
    ("Brookhaven", "NY", "112"),
    ("Cedar Falls", "CA", "900"),
    ("Harbor City", "FL", "331"),
    ("Mill Creek", "WA", "981"),
)

STREETS = (
    "Main St|Oak Ave|Maple Dr|Cedar Ln|Pine St|Elm St|Washington Ave|Lake Rd|Hill St|Park Ave|"
    "River Rd|Sunset Blvd|Church St|Mill Rd|Center St|Highland Ave|Forest Dr|Spring St|"
    "Franklin Ave|Jackson St|Lincoln Rd|Madison Ave|Chestnut St|Walnut St|Willow Way"
).split("|")

COMPANY_WORDS = (
    "Summit Harbor Pioneer Atlas Beacon Crescent Evergreen Granite Horizon Keystone Liberty "
    "Meridian Northstar Oakridge Pinnacle Redwood Sterling Trident Union Vanguard Westfield "
    "Silverline Bluewater Ironwood Goldleaf Brightpath Clearview Fairway Lakeshore Riverbend"
).split()

LEGAL_SUFFIXES = ("LLC", "Inc", "Corp", "Co", "Ltd", "Holdings LLC", "Group Inc")

# industry -> (label, share of employers, cash heavy)
INDUSTRIES = {
    "construction": ("Construction", 0.14, False),
    "restaurant": ("Restaurant", 0.14, True),
    "car_wash": ("Car Wash", 0.04, True),
    "cleaning": ("Cleaning Services", 0.08, False),
    "retail": ("Retail", 0.16, False),
    "manufacturing": ("Manufacturing", 0.12, False),
    "agriculture": ("Farms", 0.06, False),
    "healthcare": ("Health Services", 0.10, False),
    "logistics": ("Logistics", 0.08, False),
    "software": ("Software", 0.08, False),
}
