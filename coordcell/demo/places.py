"""Real nations and places for the demo scenario. Coordinates are approximate (city level)."""

RECIPIENT = ("UA", "Ukraine")

# code, name, training host?, (depot city, lat, lon), valuation basis, currency
DONORS = [
    ("US", "United States", False, ("Anniston", 33.63, -85.97), "replacement_cost", "USD"),
    ("GB", "United Kingdom", True, ("Bicester", 51.90, -1.15), "depreciated_book_value", "GBP"),
    ("DE", "Germany", True, ("Unterlüß", 52.84, 10.30), "contract_price", "EUR"),
    ("FR", "France", True, ("Bourges", 47.08, 2.40), "replacement_cost", "EUR"),
    ("PL", "Poland", True, ("Bydgoszcz", 53.12, 18.01), "depreciated_book_value", "PLN"),
    ("NL", "Netherlands", True, ("Soesterberg", 52.12, 5.28), "replacement_cost", "EUR"),
    ("DK", "Denmark", True, ("Hjørring", 57.46, 9.98), "contract_price", "DKK"),
    ("SE", "Sweden", False, ("Arboga", 59.39, 15.84), "replacement_cost", "SEK"),
    ("NO", "Norway", False, ("Raufoss", 60.72, 10.61), "contract_price", "NOK"),
    ("FI", "Finland", False, ("Tampere", 61.50, 23.76), "depreciated_book_value", "EUR"),
    ("CA", "Canada", False, ("Montreal", 45.50, -73.57), "replacement_cost", "CAD"),
    ("IT", "Italy", True, ("La Spezia", 44.10, 9.82), "depreciated_book_value", "EUR"),
    ("ES", "Spain", True, ("Zaragoza", 41.65, -0.88), "replacement_cost", "EUR"),
    ("BE", "Belgium", False, ("Zutendaal", 50.93, 5.57), "contract_price", "EUR"),
    ("CZ", "Czechia", False, ("Vlašim", 49.71, 14.90), "contract_price", "CZK"),
    ("SK", "Slovakia", True, ("Nováky", 48.71, 18.54), "depreciated_book_value", "EUR"),
    ("LT", "Lithuania", False, ("Kaunas", 54.90, 23.90), "replacement_cost", "EUR"),
    ("LV", "Latvia", False, ("Ādaži", 57.08, 24.32), "replacement_cost", "EUR"),
    ("EE", "Estonia", False, ("Tapa", 59.26, 25.96), "depreciated_book_value", "EUR"),
    ("RO", "Romania", True, ("Cugir", 45.84, 23.36), "contract_price", "RON"),
    ("PT", "Portugal", False, ("Entroncamento", 39.47, -8.47), "replacement_cost", "EUR"),
    ("HR", "Croatia", False, ("Slavonski Brod", 45.16, 18.02), "depreciated_book_value", "EUR"),
    ("SI", "Slovenia", False, ("Postojna", 45.78, 14.21), "replacement_cost", "EUR"),
    ("BG", "Bulgaria", False, ("Kazanlak", 42.62, 25.39), "contract_price", "BGN"),
    ("AU", "Australia", False, ("Bandiana", -36.13, 146.92), "replacement_cost", "AUD"),
    ("LU", "Luxembourg", False, ("Sanem", 49.55, 5.93), "contract_price", "EUR"),
    ("IS", "Iceland", False, ("Keflavík", 64.00, -22.56), "contract_price", "EUR"),
    ("AT", "Austria", False, ("Wiener Neustadt", 47.81, 16.24), "replacement_cost", "EUR"),
    ("IE", "Ireland", False, ("Curragh", 53.15, -6.83), "replacement_cost", "EUR"),
    ("GR", "Greece", False, ("Thessaloniki", 40.64, 22.94), "depreciated_book_value", "EUR"),
]

HEADQUARTERS = ("wiesbaden-hq", "Wiesbaden, Clay Kaserne (cell main HQ)", "DE", 50.05, 8.33)

# code, name, nation, lat, lon (the main hub: scenario.HUB_PROFILES)
HUBS = [
    ("wiesbaden-erbenheim", "Wiesbaden-Erbenheim", "DE", 50.05, 8.33),
    ("rzeszow-jasionka", "Rzeszów-Jasionka", "PL", 50.11, 22.02),
    ("lublin", "Lublin", "PL", 51.25, 22.57),
    ("mielec", "Mielec", "PL", 50.32, 21.46),
    ("kosice", "Košice", "SK", 48.72, 21.26),
    ("michalovce", "Michalovce", "SK", 48.75, 21.92),
    ("suceava", "Suceava", "RO", 47.65, 26.26),
    ("constanta", "Constanța", "RO", 44.17, 28.64),
]

DELIVERY_POINTS = [
    ("lviv", "Lviv", 49.84, 24.03),
    ("kovel", "Kovel", 51.22, 24.71),
    ("lutsk", "Lutsk", 50.75, 25.34),
    ("rivne", "Rivne", 50.62, 26.25),
    ("uzhhorod", "Uzhhorod", 48.62, 22.29),
    ("mukachevo", "Mukachevo", 48.44, 22.72),
    ("chernivtsi", "Chernivtsi", 48.29, 25.94),
    ("ternopil", "Ternopil", 49.55, 25.59),
    ("khmelnytskyi", "Khmelnytskyi", 49.42, 26.99),
    ("vinnytsia", "Vinnytsia", 49.23, 28.47),
    ("zhytomyr", "Zhytomyr", 50.25, 28.66),
    ("kyiv", "Kyiv", 50.45, 30.52),
    ("odesa", "Odesa", 46.48, 30.72),
    ("izmail", "Izmail", 45.35, 28.84),
    ("ivano-frankivsk", "Ivano-Frankivsk", 48.92, 24.71),
    ("bila-tserkva", "Bila Tserkva", 49.80, 30.11),
]

# code, name, nation, lat, lon
TRAINING_SITES = [
    ("grafenwoehr", "Grafenwöhr Training Area", "DE", 49.70, 11.94),
    ("klietz", "Klietz", "DE", 52.67, 12.07),
    ("salisbury-plain", "Salisbury Plain", "GB", 51.20, -1.90),
    ("zagan", "Żagań", "PL", 51.62, 15.32),
    ("mourmelon", "Mourmelon-le-Grand", "FR", 49.13, 4.37),
    ("lest", "Lešť", "SK", 48.36, 19.31),
    ("cincu", "Cincu", "RO", 45.92, 24.80),
    ("oksboel", "Oksbøl", "DK", 55.63, 8.28),
    ("toledo", "Toledo", "ES", 39.86, -4.02),
]

# name, domain, lead nation codes, member codes
COALITIONS = [
    ("Air force capability coalition", "air_defence", ["DK", "NL", "US"], ["NO", "BE", "PT"]),
    ("Artillery coalition", "artillery", ["FR", "US"], ["IT", "ES", "CZ", "SK", "LT"]),
    (
        "Integrated air and missile defence coalition",
        "air_defence",
        ["DE", "FR"],
        ["US", "NL", "ES", "IT", "SE", "NO"],
    ),
    ("Drone coalition", "drones", ["LV", "GB"], ["SE", "NL", "DK", "EE", "CA"]),
    ("Armour coalition", "armour", ["PL", "DE"], ["DK", "NL", "SE", "PT", "FI"]),
    ("Demining coalition", "engineering", ["LT", "IS"], ["BE", "DK", "NL", "SE", "AT"]),
    ("IT coalition", "", ["EE", "LU"], ["DE", "NL", "SE"]),
    ("Maritime capability coalition", "", ["GB", "NO"], ["NL", "SE", "US"]),
    ("Medical support coalition", "medical", ["CA", "IE"], ["AT", "LU", "GR", "HR", "SI"]),
    ("Sustainment coalition", "sustainment", ["US", "PL"], ["RO", "BG", "AU", "FI"]),
]

# code, name, coalition index
CAPABILITIES = [
    ("mrad-bn", "Medium-range air-defence battalion", 2),
    ("shorad-bn", "Short-range air-defence battalion", 2),
    ("manpads-coy", "MANPADS company", 0),
    ("sp-arty-bde", "Self-propelled artillery brigade", 1),
    ("towed-arty-bn", "Towed artillery battalion", 1),
    ("mlrs-bn", "Multiple-launch rocket battalion", 1),
    ("tank-bn", "Tank battalion", 4),
    ("mech-inf-bde", "Mechanised infantry brigade", 4),
    ("fpv-coy", "FPV drone strike company", 3),
    ("isr-uas-coy", "Reconnaissance UAS company", 3),
    ("demining-bn", "Humanitarian and military demining battalion", 5),
    ("combat-eng-bn", "Combat engineer battalion", 5),
    ("field-hospital", "Role 2 field hospital", 8),
    ("medevac-coy", "Armoured medical evacuation company", 8),
    ("log-bde", "Logistics brigade", 9),
    ("winter-sustain", "Winter sustainment of the force", 9),
]

CAPABILITIES_BY_DOMAIN = {
    "air_defence": ["mrad-bn", "shorad-bn", "manpads-coy"],
    "artillery": ["sp-arty-bde", "towed-arty-bn", "mlrs-bn"],
    "armour": ["tank-bn", "mech-inf-bde"],
    "drones": ["fpv-coy", "isr-uas-coy"],
    "engineering": ["demining-bn", "combat-eng-bn"],
    "medical": ["field-hospital", "medevac-coy"],
    "sustainment": ["log-bde", "winter-sustain", "mech-inf-bde"],
}

# code, name, domain, unit, nsc, sensitive, typical quantity (low, high)
CATEGORIES = [
    ("patriot-launcher", "Patriot launcher (M903)", "air_defence", "system", "1440", True, (1, 2)),
    ("pac3-mse", "Patriot PAC-3 MSE interceptor", "air_defence", "each", "1410", True, (2, 8)),
    ("pac2-gem", "Patriot PAC-2 GEM-T interceptor", "air_defence", "each", "1410", True, (2, 8)),
    ("irist-slm-fu", "IRIS-T SLM fire unit", "air_defence", "system", "1440", True, (1, 1)),
    ("irist-slm-missile", "IRIS-T SLM missile", "air_defence", "each", "1410", True, (4, 12)),
    ("nasams-fu", "NASAMS fire unit", "air_defence", "system", "1440", True, (1, 1)),
    ("amraam", "AIM-120 AMRAAM (ground-launched)", "air_defence", "each", "1410", True, (4, 12)),
    ("stinger", "Stinger MANPADS", "air_defence", "each", "1425", True, (10, 40)),
    (
        "gepard",
        "Gepard self-propelled anti-aircraft gun",
        "air_defence",
        "system",
        "2350",
        True,
        (1, 4),
    ),
    (
        "ammo-35mm",
        "35 mm anti-aircraft round",
        "air_defence",
        "round",
        "1305",
        False,
        (2000, 10000),
    ),
    ("pzh2000", "PzH 2000 self-propelled howitzer", "artillery", "system", "1025", True, (1, 4)),
    ("caesar", "CAESAR truck-mounted howitzer", "artillery", "system", "1025", True, (1, 4)),
    ("m777", "M777 towed howitzer", "artillery", "system", "1025", True, (2, 6)),
    ("ammo-155-m795", "155 mm HE round M795", "artillery", "round", "1320", False, (500, 4000)),
    ("ammo-155-l15", "155 mm HE round L15A1", "artillery", "round", "1320", False, (500, 3000)),
    ("ammo-155-dm121", "155 mm HE round DM121", "artillery", "round", "1320", False, (500, 3000)),
    ("ammo-105", "105 mm HE round", "artillery", "round", "1315", False, (500, 3000)),
    ("gmlrs", "GMLRS guided rocket", "artillery", "each", "1340", True, (6, 36)),
    (
        "charges-155",
        "155 mm modular propellant charge",
        "artillery",
        "set",
        "1320",
        False,
        (500, 4000),
    ),
    ("leopard2a4", "Leopard 2A4 main battle tank", "armour", "system", "2350", True, (2, 10)),
    ("leopard1a5", "Leopard 1A5 main battle tank", "armour", "system", "2350", True, (2, 10)),
    ("cv90", "CV90 infantry fighting vehicle", "armour", "system", "2350", True, (2, 10)),
    ("bradley", "M2 Bradley infantry fighting vehicle", "armour", "system", "2350", True, (2, 10)),
    ("ammo-120", "120 mm tank round", "armour", "round", "1315", False, (200, 2000)),
    ("leopard-spares", "Leopard spare-parts kit", "armour", "set", "2520", False, (5, 30)),
    ("fpv-drone", "FPV strike drone", "drones", "each", "1550", False, (200, 2000)),
    ("recon-uas", "Small reconnaissance UAS", "drones", "system", "1550", True, (5, 40)),
    ("loitering", "Loitering munition", "drones", "each", "1550", True, (20, 200)),
    ("jammer", "Counter-drone jammer", "drones", "each", "5865", True, (5, 30)),
    ("ifak", "Individual first-aid kit", "medical", "each", "6545", False, (1000, 10000)),
    ("tourniquet", "Combat tourniquet", "medical", "each", "6515", False, (1000, 10000)),
    ("surgical-kit", "Field surgical kit", "medical", "set", "6545", False, (5, 40)),
    ("ambulance", "Armoured ambulance", "medical", "system", "2320", True, (2, 10)),
    ("mine-clearing", "Mine-clearing system", "engineering", "system", "3805", True, (1, 4)),
    ("demining-kit", "Demining protective kit", "engineering", "set", "8470", False, (50, 400)),
    ("generator", "Generator 60 kVA", "engineering", "each", "6115", False, (10, 80)),
    ("diesel", "Diesel fuel", "sustainment", "litre", "9140", False, (50000, 400000)),
    ("winter-kit", "Winter uniform set", "sustainment", "set", "8415", False, (1000, 10000)),
    ("ammo-556", "5.56 mm NATO round", "sustainment", "round", "1305", False, (100000, 1000000)),
    ("truck", "Military utility truck", "sustainment", "system", "2320", True, (5, 40)),
]

# requirement category -> categories that can also serve it (explicit, one way)
COMPATIBILITY = {
    "ammo-155-m795": ["ammo-155-l15", "ammo-155-dm121"],
    "ammo-155-l15": ["ammo-155-m795", "ammo-155-dm121"],
    "ammo-155-dm121": ["ammo-155-m795"],  # not every 155 mm round fits every fuze setter
    "pac3-mse": ["pac2-gem"],
    "leopard2a4": ["leopard1a5"],
    "bradley": ["cv90"],
    "cv90": ["bradley"],
    "ifak": ["tourniquet"],
    "irist-slm-missile": [],
}

# domain -> weekly throughput of a forward hub (the main hub gets double)
HUB_WEEKLY_CAPACITY = {
    "air_defence": 60,
    "artillery": 20000,
    "armour": 30,
    "drones": 3000,
    "medical": 15000,
    "engineering": 500,
    "sustainment": 900000,
}

# ---- training (coordcell/training, coordcell/readiness) ----

# code, name, system category code ("" for a skill course), skill, weeks, min, max,
# prerequisites, language
COURSES = [
    ("nato-proc", "NATO procedures and English", "", "Staff procedures", 2, 6, 30, [], "en"),
    ("patriot-op", "Patriot operator", "patriot-launcher", "", 6, 8, 32, [], "en"),
    ("patriot-mnt", "Patriot maintainer", "patriot-launcher", "", 4, 4, 16, ["patriot-op"], "en"),
    ("irist-op", "IRIS-T SLM operator", "irist-slm-fu", "", 5, 6, 24, [], "de"),
    ("nasams-op", "NASAMS operator", "nasams-fu", "", 5, 6, 24, [], "en"),
    ("gepard-crew", "Gepard crew", "gepard", "", 4, 4, 20, [], "de"),
    ("pzh2000-crew", "PzH 2000 crew", "pzh2000", "", 5, 5, 25, [], "de"),
    ("caesar-crew", "CAESAR crew", "caesar", "", 3, 5, 25, [], "fr"),
    ("m777-crew", "M777 crew", "m777", "", 3, 6, 30, [], "en"),
    ("fire-control", "Artillery fire control", "", "Fire direction", 2, 4, 24, [], "en"),
    ("leopard2-crew", "Leopard 2 crew", "leopard2a4", "", 6, 4, 24, [], "de"),
    ("leopard-mnt", "Leopard maintainer", "leopard-spares", "", 4, 4, 16, ["leopard2-crew"], "de"),
    ("cv90-crew", "CV90 crew", "cv90", "", 5, 4, 24, [], "en"),
    ("bradley-crew", "Bradley crew", "bradley", "", 5, 4, 24, [], "en"),
    ("fpv-pilot", "FPV drone pilot", "", "FPV piloting", 2, 6, 30, [], "uk"),
    ("uas-op", "Reconnaissance UAS operator", "recon-uas", "", 3, 4, 20, [], "en"),
    ("demining", "Mine clearance", "mine-clearing", "", 4, 6, 24, [], "en"),
    ("combat-medic", "Combat medic", "", "Combat casualty care", 3, 8, 32, [], "en"),
]

# training-site code -> courses it runs (the sites themselves are TRAINING_SITES above)
SITE_COURSES = {
    "grafenwoehr": ["patriot-op", "patriot-mnt", "leopard2-crew", "pzh2000-crew", "fire-control"],
    "klietz": ["leopard2-crew", "leopard-mnt", "cv90-crew", "irist-op"],
    "salisbury-plain": ["nato-proc", "fire-control", "m777-crew", "fpv-pilot", "combat-medic"],
    "zagan": ["leopard2-crew", "leopard-mnt", "bradley-crew", "nato-proc"],
    "mourmelon": ["caesar-crew", "fire-control", "combat-medic"],
    "lest": ["demining", "nato-proc"],
    "cincu": ["gepard-crew", "nasams-op", "fire-control"],
    "oksboel": ["uas-op", "fpv-pilot", "caesar-crew", "patriot-op"],
    "toledo": ["nasams-op", "combat-medic", "demining"],
}

# capability code -> the course paths its crews take (one chosen per cohort)
CREW_PATHS = {
    "mrad-bn": [["patriot-op", "patriot-mnt"], ["irist-op"], ["nasams-op"]],
    "shorad-bn": [["gepard-crew"]],
    "manpads-coy": [["nato-proc"]],
    "sp-arty-bde": [["pzh2000-crew", "fire-control"], ["caesar-crew", "fire-control"]],
    "towed-arty-bn": [["m777-crew", "fire-control"]],
    "mlrs-bn": [["nato-proc", "fire-control"]],
    "tank-bn": [["leopard2-crew", "leopard-mnt"]],
    "mech-inf-bde": [["cv90-crew"], ["bradley-crew"]],
    "fpv-coy": [["fpv-pilot"]],
    "isr-uas-coy": [["uas-op"]],
    "demining-bn": [["demining"]],
    "combat-eng-bn": [["nato-proc", "demining"]],
    "field-hospital": [["combat-medic"]],
    "medevac-coy": [["combat-medic"]],
}

CREW_UNITS = ["Battery", "Company", "Battalion crew group", "Platoon", "Detachment"]
