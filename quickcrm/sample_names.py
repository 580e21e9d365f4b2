"""Word lists for the sample data generator (``quickcrm.sample``): Dutch first names,
surnames with their tussenvoegsels, streets, the five offices with the towns around them
and their real postcode ranges, and company-name words per industry code.

Kept apart from the generator so the generator stays readable; plain tuples only."""

FIRST_NAMES: tuple[str, ...] = (
    "Jan", "Pieter", "Kees", "Henk", "Willem", "Joost", "Bas", "Thijs", "Daan", "Sem",
    "Lars", "Ruben", "Bram", "Niels", "Jeroen", "Martijn", "Sander", "Erik", "Marco", "Frank",
    "Rob", "Hans", "Gert", "Wouter", "Maarten", "Koen", "Stijn", "Tim", "Jesse", "Luuk",
    "Anne", "Sanne", "Lotte", "Femke", "Marieke", "Inge", "Esther", "Petra", "Linda", "Karin",
    "Monique", "Miranda", "Ingrid", "Anouk", "Eva", "Fleur", "Iris", "Noor", "Sophie", "Julia",
    "Daniëlle", "Chloë", "Noël", "Zoë", "Loïs", "Mieke", "Joke", "Ria", "Wilma", "Hanneke",
    "Mohamed", "Yusuf", "Fatima", "Samira", "Priya", "Ahmet", "Elif", "Dewi", "Rik", "Gijs",
)

# (tussenvoegsel, surname): the Dutch last name is "tussenvoegsel surname".
SURNAMES: tuple[tuple[str, str], ...] = (
    ("de", "Vries"), ("", "Jansen"), ("de", "Jong"), ("van", "Dijk"), ("", "Bakker"),
    ("", "Visser"), ("", "Smit"), ("", "Meijer"), ("de", "Boer"), ("", "Mulder"),
    ("de", "Groot"), ("", "Bos"), ("", "Vos"), ("", "Peters"), ("", "Hendriks"),
    ("van", "Leeuwen"), ("", "Dekker"), ("", "Brouwer"), ("de", "Wit"), ("", "Dijkstra"),
    ("", "Smits"), ("de", "Graaf"), ("van der", "Meer"), ("van der", "Linden"), ("", "Kok"),
    ("", "Jacobs"), ("de", "Haan"), ("", "Vermeulen"), ("van den", "Heuvel"), ("van der", "Veen"),
    ("van den", "Berg"), ("van", "Wijk"), ("", "Hoekstra"), ("", "Koster"), ("", "Prins"),
    ("van", "Beek"), ("", "Huisman"), ("", "Schouten"), ("van", "Vliet"), ("", "Willems"),
    ("", "Postma"), ("", "Kuipers"), ("van", "Dam"), ("ter", "Horst"), ("in 't", "Veld"),
    ("", "Verhoeven"), ("van 't", "Hof"), ("", "Kramer"), ("", "Timmermans"), ("", "Lambregts"),
    ("", "Brinkman"), ("", "Wolters"), ("", "Bosman"), ("", "Nijhuis"), ("ten", "Cate"),
    ("", "Yilmaz"), ("", "Öztürk"), ("", "El Amrani"), ("", "Pinas"), ("", "Müller"),
)

STREETS: tuple[str, ...] = (
    "Dorpsstraat", "Kerkstraat", "Schoolstraat", "Molenweg", "Stationsweg", "Hoofdstraat",
    "Julianastraat", "Beatrixlaan", "Wilhelminastraat", "Industrieweg", "Nieuwstraat",
    "Parallelweg", "Marktplein", "Kastanjelaan", "Eikenlaan", "Havenstraat", "Handelsweg",
    "Nijverheidsweg", "Zuiderweg", "Ambachtsweg", "Oranjelaan", "Lindelaan", "Sportlaan",
    "Burgemeester de Withstraat", "Prins Bernhardlaan", "Vlasakker", "Koopmansweg",
    "Europaweg", "Energieweg", "Weverstraat", "Smidsweg", "Bakkerstraat", "Raadhuisplein",
)

# Office (team) -> towns around it: (town, first postcode digits, last, phone area code).
OFFICES: dict[str, tuple[tuple[str, int, int, str], ...]] = {
    "Amsterdam": (("Amsterdam", 1011, 1109, "020"), ("Amstelveen", 1181, 1189, "020"),
                  ("Haarlem", 2011, 2037, "023"), ("Zaandam", 1501, 1509, "075"),
                  ("Hoofddorp", 2131, 2135, "023"), ("Purmerend", 1441, 1448, "0299")),
    "Utrecht": (("Utrecht", 3511, 3585, "030"), ("Amersfoort", 3811, 3829, "033"),
                ("Nieuwegein", 3430, 3439, "030"), ("Zeist", 3701, 3709, "030"),
                ("Houten", 3991, 3995, "030"), ("Woerden", 3441, 3449, "0348")),
    "Zwolle": (("Zwolle", 8011, 8043, "038"), ("Kampen", 8261, 8266, "038"),
               ("Deventer", 7411, 7429, "0570"), ("Meppel", 7941, 7944, "0522"),
               ("Hardenberg", 7771, 7773, "0523"), ("Dalfsen", 7721, 7722, "0529")),
    "Eindhoven": (("Eindhoven", 5611, 5658, "040"), ("Veldhoven", 5501, 5508, "040"),
                  ("Helmond", 5701, 5709, "0492"), ("Best", 5681, 5684, "0499"),
                  ("Geldrop", 5661, 5667, "040"), ("Den Bosch", 5211, 5237, "073")),
    "Groningen": (("Groningen", 9711, 9747, "050"), ("Haren", 9751, 9752, "050"),
                  ("Assen", 9401, 9408, "0592"), ("Leek", 9351, 9351, "0594"),
                  ("Hoogezand", 9601, 9603, "0598"), ("Delfzijl", 9901, 9936, "0596")),
}
# Share of the clients per office: the big city offices carry more.
OFFICE_WEIGHTS: tuple[int, ...] = (28, 24, 14, 20, 14)

# Industry code -> words a company in that industry is called by.
INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "1": ("Bouwbedrijf", "Aannemersbedrijf", "Timmerbedrijf", "Installatietechniek", "Dakwerken"),
    "2": ("Adviesbureau", "Consultancy", "Administratiekantoor", "ICT Diensten", "Ingenieursbureau"),
    "3": ("Kapsalon", "Schoonheidssalon", "Rijschool", "Fotostudio", "Uitvaartverzorging"),
    "4": ("Beheer", "Vermogensbeheer", "Holding", "Participaties", "Familiebeheer"),
    "5": ("Transport", "Logistiek", "Koeriersdienst", "Expeditie", "Verhuizingen"),
    "6": ("Restaurant", "Eetcafé", "Hotel", "Camping", "Brasserie"),
    "7": ("Groothandel", "Handelsonderneming", "Bloemenhandel", "Wijnhandel", "Bouwmaterialen"),
    "8": ("Thuiszorg", "Fysiotherapie", "Tandartspraktijk", "Huisartsenpraktijk", "Zorggroep"),
    "9": ("Orthopedie", "Cardiologie", "Dermatologie", "Oogheelkunde", "Anesthesiologie"),
    "10": ("Metaalbewerking", "Machinefabriek", "Kunststoffen", "Staalbouw", "Voedingsmiddelen"),
    "11": ("Autobedrijf", "Garage", "Autoschade", "Occasions", "Bandenservice"),
    "12": ("Welzijn", "Cultuurhuis", "Bibliotheek", "Sportbedrijf", "Woningcorporatie"),
    "13": ("Diensten", "Projecten", "Services", "Groep", "Onderneming"),
}
# Weights of industry codes 1..13: an accountancy firm's typical SME book.
INDUSTRY_WEIGHTS: tuple[int, ...] = (12, 16, 8, 3, 7, 9, 14, 8, 3, 7, 5, 2, 6)

# Ownership code -> (legal-form suffix, entrepreneur type code).
OWNERSHIP_FORMS: dict[str, tuple[str, str]] = {
    "A": ("B.V.", "B"), "B": ("B.V.", "B"), "C": ("B.V.", "B"), "D": ("B.V.", "C"),
    "E": ("V.O.F.", "A"), "F": ("Maatschap", "A"), "G": ("", "C"), "H": ("Stichting", "C"),
    "I": ("", "A"),
}
OWNERSHIP_WEIGHTS: tuple[int, ...] = (18, 30, 8, 3, 26, 5, 2, 4, 4)

# Industries whose ownership is fixed (industry code -> index into the ownership codes):
# public sector is a foundation (H), medical specialists a partnership (F), a family
# office family-led (A).
INDUSTRY_OWNERSHIP: dict[int, int] = {12: 7, 9: 5, 4: 0}

# attention (issue 28): the towns' centres (latitude, longitude), for the monitor's map
TOWN_COORDINATES: dict[str, tuple[float, float]] = {
    "Amersfoort": (52.1561, 5.3878), "Amstelveen": (52.3114, 4.8701),
    "Amsterdam": (52.3728, 4.8936), "Assen": (52.9925, 6.5649), "Best": (51.5075, 5.3903),
    "Dalfsen": (52.5106, 6.2583), "Delfzijl": (53.3306, 6.9181),
    "Den Bosch": (51.6978, 5.3037), "Deventer": (52.2550, 6.1639),
    "Eindhoven": (51.4416, 5.4697), "Geldrop": (51.4217, 5.5597),
    "Groningen": (53.2194, 6.5665), "Haarlem": (52.3874, 4.6462),
    "Hardenberg": (52.5758, 6.6194), "Haren": (53.1736, 6.6047),
    "Helmond": (51.4793, 5.6570), "Hoofddorp": (52.3061, 4.6907),
    "Hoogezand": (53.1611, 6.7611), "Houten": (52.0283, 5.1681),
    "Kampen": (52.5550, 5.9114), "Leek": (53.1628, 6.3767), "Meppel": (52.6958, 6.1944),
    "Nieuwegein": (52.0292, 5.0806), "Purmerend": (52.5050, 4.9597),
    "Utrecht": (52.0907, 5.1214), "Veldhoven": (51.4183, 5.4028),
    "Woerden": (52.0853, 4.8833), "Zaandam": (52.4389, 4.8261), "Zeist": (52.0906, 5.2333),
    "Zwolle": (52.5168, 6.0830),
}
