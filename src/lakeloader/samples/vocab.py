"""Hand-written reference lists (names, places, NUCC taxonomies, ICD-10 and CPT/HCPCS codes) for synthetic data."""

from __future__ import annotations

from typing import NamedTuple


class Taxonomy(NamedTuple):
    code: str
    specialty: str
    organization: bool
    credentials: tuple[str, ...]


class Place(NamedTuple):
    city: str
    state: str
    zip3: str
    area_code: str
    lat: float
    lon: float


class Procedure(NamedTuple):
    code: str
    description: str
    base_charge: str  # a decimal string: a typical list price in USD
    max_units: int


_MD = ("MD", "DO")

# Real codes from the NUCC Health Care Provider Taxonomy code set.
TAXONOMIES: tuple[Taxonomy, ...] = (
    Taxonomy("207Q00000X", "Family Medicine", False, _MD),
    Taxonomy("207R00000X", "Internal Medicine", False, _MD),
    Taxonomy("208000000X", "Pediatrics", False, _MD),
    Taxonomy("207V00000X", "Obstetrics & Gynecology", False, _MD),
    Taxonomy("207X00000X", "Orthopaedic Surgery", False, _MD),
    Taxonomy("207RC0000X", "Internal Medicine, Cardiovascular Disease", False, _MD),
    Taxonomy("207RG0100X", "Internal Medicine, Gastroenterology", False, _MD),
    Taxonomy("207RE0101X", "Internal Medicine, Endocrinology, Diabetes & Metabolism", False, _MD),
    Taxonomy("207RH0003X", "Internal Medicine, Hematology & Oncology", False, _MD),
    Taxonomy("2084P0800X", "Psychiatry & Neurology, Psychiatry", False, _MD),
    Taxonomy("2084N0400X", "Psychiatry & Neurology, Neurology", False, _MD),
    Taxonomy("207N00000X", "Dermatology", False, _MD),
    Taxonomy("207P00000X", "Emergency Medicine", False, _MD),
    Taxonomy("2085R0202X", "Radiology, Diagnostic Radiology", False, _MD),
    Taxonomy("207L00000X", "Anesthesiology", False, _MD),
    Taxonomy("208600000X", "Surgery", False, _MD),
    Taxonomy("207W00000X", "Ophthalmology", False, _MD),
    Taxonomy("207K00000X", "Allergy & Immunology", False, _MD),
    Taxonomy("363LF0000X", "Nurse Practitioner, Family", False, ("NP", "FNP-C", "APRN")),
    Taxonomy("363A00000X", "Physician Assistant", False, ("PA-C",)),
    Taxonomy("1223G0001X", "Dentist, General Practice", False, ("DDS", "DMD")),
    Taxonomy("225100000X", "Physical Therapist", False, ("PT", "DPT")),
    Taxonomy("152W00000X", "Optometrist", False, ("OD",)),
    Taxonomy("103T00000X", "Psychologist", False, ("PhD", "PsyD")),
    Taxonomy("1041C0700X", "Social Worker, Clinical", False, ("LCSW",)),
    Taxonomy("183500000X", "Pharmacist", False, ("PharmD", "RPh")),
    Taxonomy("111N00000X", "Chiropractor", False, ("DC",)),
    Taxonomy("213E00000X", "Podiatrist", False, ("DPM",)),
    Taxonomy("282N00000X", "General Acute Care Hospital", True, ()),
    Taxonomy("261QU0200X", "Clinic/Center, Urgent Care", True, ()),
    Taxonomy("261QP2300X", "Clinic/Center, Primary Care", True, ()),
    Taxonomy("261QM1300X", "Clinic/Center, Multi-Specialty", True, ()),
    Taxonomy("261QR1300X", "Clinic/Center, Rural Health", True, ()),
    Taxonomy("291U00000X", "Clinical Medical Laboratory", True, ()),
    Taxonomy("3336C0003X", "Pharmacy, Community/Retail Pharmacy", True, ()),
    Taxonomy("314000000X", "Skilled Nursing Facility", True, ()),
    Taxonomy("251E00000X", "Home Health", True, ()),
    Taxonomy("332B00000X", "Durable Medical Equipment & Medical Supplies", True, ()),
    Taxonomy("341600000X", "Ambulance", True, ()),
)

# What an organization of a taxonomy calls itself, after a place-like prefix.
ORGANIZATION_SUFFIXES: dict[str, tuple[str, ...]] = {
    "282N00000X": ("General Hospital", "Medical Center", "Regional Hospital"),
    "261QU0200X": ("Urgent Care", "Walk-In Clinic"),
    "261QP2300X": ("Family Health Center", "Primary Care Associates"),
    "261QM1300X": ("Medical Group", "Multispecialty Clinic"),
    "261QR1300X": ("Rural Health Clinic", "Community Health Center"),
    "291U00000X": ("Clinical Laboratory", "Diagnostic Labs"),
    "3336C0003X": ("Pharmacy", "Community Pharmacy"),
    "314000000X": ("Rehabilitation & Nursing Center", "Care Center"),
    "251E00000X": ("Home Health Services", "Visiting Nurse Association"),
    "332B00000X": ("Medical Supply", "Home Medical Equipment"),
    "341600000X": ("Ambulance Service", "EMS"),
}
ORGANIZATION_PREFIXES = (
    "Riverside", "Lakeview", "St. Mary's", "Summit", "Harborview", "Northside", "Valley", "Mercy",
    "Pinecrest", "Bayside", "Good Samaritan", "Cedar Ridge", "Union", "Heritage", "Parkway", "Westgate",
)  # fmt: skip

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Christopher", "Karen",
    "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark", "Ashley", "Priya", "Wei", "Carlos",
    "Fatima", "Hiroshi", "Olga", "Kwame", "Aisha", "Mateo", "Ana", "Rahul", "Mei",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Nguyen", "Patel", "Kim", "Chen", "O'Brien", "Kowalski", "Okafor", "Yamamoto", "Singh", "Cohen",
)  # fmt: skip
STREETS = (
    "Main St", "Oak Ave", "Maple St", "Washington Blvd", "Park Ave", "Elm St", "Cedar Ln", "Lake Dr",
    "Hillside Rd", "Church St", "Highland Ave", "Center St", "Pleasant St", "Union St", "Market St",
    "Franklin Ave", "Jefferson St", "Lincoln Way", "Medical Center Dr", "Commerce Pkwy",
)  # fmt: skip

PLACES: tuple[Place, ...] = (
    Place("Boston", "MA", "021", "617", 42.3601, -71.0589),
    Place("Worcester", "MA", "016", "508", 42.2626, -71.8023),
    Place("Providence", "RI", "029", "401", 41.8240, -71.4128),
    Place("Hartford", "CT", "061", "860", 41.7658, -72.6734),
    Place("New York", "NY", "100", "212", 40.7128, -74.0060),
    Place("Albany", "NY", "122", "518", 42.6526, -73.7562),
    Place("Philadelphia", "PA", "191", "215", 39.9526, -75.1652),
    Place("Pittsburgh", "PA", "152", "412", 40.4406, -79.9959),
    Place("Baltimore", "MD", "212", "410", 39.2904, -76.6122),
    Place("Richmond", "VA", "232", "804", 37.5407, -77.4360),
    Place("Charlotte", "NC", "282", "704", 35.2271, -80.8431),
    Place("Atlanta", "GA", "303", "404", 33.7490, -84.3880),
    Place("Miami", "FL", "331", "305", 25.7617, -80.1918),
    Place("Tampa", "FL", "336", "813", 27.9506, -82.4572),
    Place("Nashville", "TN", "372", "615", 36.1627, -86.7816),
    Place("Columbus", "OH", "432", "614", 39.9612, -82.9988),
    Place("Cleveland", "OH", "441", "216", 41.4993, -81.6944),
    Place("Detroit", "MI", "482", "313", 42.3314, -83.0458),
    Place("Chicago", "IL", "606", "312", 41.8781, -87.6298),
    Place("Minneapolis", "MN", "554", "612", 44.9778, -93.2650),
    Place("St. Louis", "MO", "631", "314", 38.6270, -90.1994),
    Place("Dallas", "TX", "752", "214", 32.7767, -96.7970),
    Place("Houston", "TX", "770", "713", 29.7604, -95.3698),
    Place("Austin", "TX", "787", "512", 30.2672, -97.7431),
    Place("Denver", "CO", "802", "303", 39.7392, -104.9903),
    Place("Phoenix", "AZ", "850", "602", 33.4484, -112.0740),
    Place("Salt Lake City", "UT", "841", "801", 40.7608, -111.8910),
    Place("Seattle", "WA", "981", "206", 47.6062, -122.3321),
    Place("Portland", "OR", "972", "503", 45.5152, -122.6784),
    Place("San Francisco", "CA", "941", "415", 37.7749, -122.4194),
    Place("Los Angeles", "CA", "900", "213", 34.0522, -118.2437),
    Place("San Diego", "CA", "921", "619", 32.7157, -117.1611),
)

# Common, valid ICD-10-CM diagnosis codes.
ICD10_CODES = (
    "E11.9", "I10", "E78.5", "J06.9", "M54.50", "Z00.00", "J45.909", "F41.1", "F32.A", "K21.9",
    "N39.0", "R05.9", "R51.9", "E66.9", "Z23", "I25.10", "J44.9", "M17.11", "G43.909", "H52.4",
    "Z12.31", "R10.9", "E03.9", "L30.9", "M25.561", "S93.401A", "U07.1", "Z79.4", "I48.91", "E55.9",
)  # fmt: skip

# Common CPT (Level I) and HCPCS (Level II) codes with a plausible list price.
PROCEDURES: tuple[Procedure, ...] = (
    Procedure("99213", "Office visit, established patient, low complexity", "145.00", 1),
    Procedure("99214", "Office visit, established patient, moderate complexity", "210.00", 1),
    Procedure("99203", "Office visit, new patient, low complexity", "190.00", 1),
    Procedure("99204", "Office visit, new patient, moderate complexity", "285.00", 1),
    Procedure("99395", "Preventive visit, established patient, 18-39", "240.00", 1),
    Procedure("99396", "Preventive visit, established patient, 40-64", "260.00", 1),
    Procedure("99283", "Emergency department visit, moderate", "520.00", 1),
    Procedure("G0439", "Annual wellness visit, subsequent", "180.00", 1),
    Procedure("36415", "Routine venipuncture", "18.00", 1),
    Procedure("80053", "Comprehensive metabolic panel", "42.00", 1),
    Procedure("85025", "Complete blood count with differential", "28.00", 1),
    Procedure("83036", "Hemoglobin A1c", "35.00", 1),
    Procedure("80061", "Lipid panel", "48.00", 1),
    Procedure("81002", "Urinalysis, non-automated", "12.00", 1),
    Procedure("87880", "Rapid strep test", "30.00", 1),
    Procedure("93000", "Electrocardiogram, complete", "75.00", 1),
    Procedure("71046", "Chest X-ray, 2 views", "110.00", 1),
    Procedure("73721", "MRI lower extremity joint without contrast", "1450.00", 1),
    Procedure("70450", "CT head without contrast", "890.00", 1),
    Procedure("45378", "Colonoscopy, diagnostic", "1850.00", 1),
    Procedure("20610", "Arthrocentesis, major joint", "165.00", 2),
    Procedure("96372", "Therapeutic injection, subcutaneous or intramuscular", "45.00", 2),
    Procedure("90471", "Immunization administration", "28.00", 2),
    Procedure("90686", "Influenza vaccine, quadrivalent, preservative free", "32.00", 1),
    Procedure("G0008", "Influenza vaccine administration", "25.00", 1),
    Procedure("97110", "Therapeutic exercise, each 15 minutes", "55.00", 4),
    Procedure("97140", "Manual therapy, each 15 minutes", "60.00", 4),
    Procedure("J1100", "Injection, dexamethasone sodium phosphate, 1 mg", "4.50", 10),
    Procedure("J3301", "Injection, triamcinolone acetonide, 10 mg", "12.00", 4),
    Procedure("99406", "Smoking cessation counseling, 3-10 minutes", "30.00", 1),
)
MODIFIERS = ("25", "59", "LT", "RT", "26", "TC", "95", "GT")
CLAIM_STATUSES = ("PAID", "DENIED", "PENDING", "ADJUSTED")
CLAIM_STATUS_WEIGHTS = (70, 10, 12, 8)
PLAN_CODES = ("HMO-GOLD", "HMO-SILVER", "PPO-GOLD", "PPO-BRONZE", "EPO-STANDARD", "MCR-ADV", "MCD-MANAGED")
