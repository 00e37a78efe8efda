"""The organisations Forewarn knows at install time (loaded by migration 0002).

Force names are the forces' own; codes are Forewarn's short codes for case references.
Local policing bodies are named by function; several areas now have a mayor or a police, fire
and crime commissioner exercising the PCC's functions.
"""

TERRITORIAL_FORCES = [
    ("ASP", "Avon and Somerset Police"),
    ("BED", "Bedfordshire Police"),
    ("CAM", "Cambridgeshire Constabulary"),
    ("CHE", "Cheshire Constabulary"),
    ("COL", "City of London Police"),
    ("CLE", "Cleveland Police"),
    ("CUM", "Cumbria Constabulary"),
    ("DER", "Derbyshire Constabulary"),
    ("DEV", "Devon and Cornwall Police"),
    ("DOR", "Dorset Police"),
    ("DUR", "Durham Constabulary"),
    ("DYP", "Dyfed-Powys Police"),
    ("ESS", "Essex Police"),
    ("GLO", "Gloucestershire Constabulary"),
    ("GMP", "Greater Manchester Police"),
    ("GWE", "Gwent Police"),
    ("HAM", "Hampshire and Isle of Wight Constabulary"),
    ("HER", "Hertfordshire Constabulary"),
    ("HUM", "Humberside Police"),
    ("KEN", "Kent Police"),
    ("LAN", "Lancashire Constabulary"),
    ("LEI", "Leicestershire Police"),
    ("LIN", "Lincolnshire Police"),
    ("MER", "Merseyside Police"),
    ("MET", "Metropolitan Police Service"),
    ("NFK", "Norfolk Constabulary"),
    ("NWP", "North Wales Police"),
    ("NYP", "North Yorkshire Police"),
    ("NTH", "Northamptonshire Police"),
    ("NBR", "Northumbria Police"),
    ("NOT", "Nottinghamshire Police"),
    ("SWP", "South Wales Police"),
    ("SYP", "South Yorkshire Police"),
    ("STA", "Staffordshire Police"),
    ("SUF", "Suffolk Constabulary"),
    ("SUR", "Surrey Police"),
    ("SUS", "Sussex Police"),
    ("TVP", "Thames Valley Police"),
    ("WAR", "Warwickshire Police"),
    ("WMC", "West Mercia Police"),
    ("WMP", "West Midlands Police"),
    ("WYP", "West Yorkshire Police"),
    ("WIL", "Wiltshire Police"),
]

NATIONAL_FORCES = [
    ("BTP", "British Transport Police"),
    ("CNC", "Civil Nuclear Constabulary"),
    ("MDP", "Ministry of Defence Police"),
]

# Force code -> name of its local policing body, where it is not "... Police and Crime Commissioner".
SPECIAL_LOCAL_POLICING_BODIES = {
    "MET": "Mayor's Office for Policing and Crime",
    "COL": "Common Council of the City of London (police authority)",
    "GMP": "Mayor of Greater Manchester (police and crime functions)",
    "WYP": "Mayor of West Yorkshire (police and crime functions)",
    "SYP": "Mayor of South Yorkshire (police and crime functions)",
    "NYP": "Mayor of York and North Yorkshire (police, fire and crime functions)",
    "BTP": "British Transport Police Authority",
    "CNC": "Civil Nuclear Police Authority",
    "MDP": "Ministry of Defence Police Committee",
}

AREA_NAMES = {
    "ASP": "Avon and Somerset", "BED": "Bedfordshire", "CAM": "Cambridgeshire and Peterborough",
    "CHE": "Cheshire", "CLE": "Cleveland", "CUM": "Cumbria", "DER": "Derbyshire",
    "DEV": "Devon, Cornwall and the Isles of Scilly", "DOR": "Dorset", "DUR": "Durham and Darlington",
    "DYP": "Dyfed-Powys", "ESS": "Essex", "GLO": "Gloucestershire", "GWE": "Gwent",
    "HAM": "Hampshire and the Isle of Wight", "HER": "Hertfordshire", "HUM": "Humberside", "KEN": "Kent",
    "LAN": "Lancashire", "LEI": "Leicestershire", "LIN": "Lincolnshire", "MER": "Merseyside",
    "NFK": "Norfolk", "NWP": "North Wales", "NTH": "Northamptonshire", "NBR": "Northumbria",
    "NOT": "Nottinghamshire", "SWP": "South Wales", "STA": "Staffordshire", "SUF": "Suffolk",
    "SUR": "Surrey", "SUS": "Sussex", "TVP": "Thames Valley", "WAR": "Warwickshire",
    "WMC": "West Mercia", "WMP": "West Midlands", "WIL": "Wiltshire",
}

IOPC = ("IOPC", "Independent Office for Police Conduct")
COLLEGE = ("COP", "College of Policing")


def local_policing_body_name(force_code: str) -> str:
    if force_code in SPECIAL_LOCAL_POLICING_BODIES:
        return SPECIAL_LOCAL_POLICING_BODIES[force_code]
    return f"Police and Crime Commissioner for {AREA_NAMES[force_code]}"
