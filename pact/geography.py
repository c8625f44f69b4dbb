"""Where a footprint is: ISO 3166 codes, and the UN M49 regions and sub-regions PACT names.

Pure: the settings read it to check PACT_COUNTRY and PACT_REGION."""

import re

# UN M49 regions and sub-regions (PACT's geographyRegionOrSubregion values), each sub-region
# with the region it is in: a footprint of a country matches its sub-region and region too.
REGIONS = {
    "Africa": None,
    "Americas": None,
    "Asia": None,
    "Europe": None,
    "Oceania": None,
    "Australia and New Zealand": "Oceania",
    "Central Asia": "Asia",
    "Eastern Asia": "Asia",
    "Eastern Europe": "Europe",
    "Latin America and the Caribbean": "Americas",
    "Melanesia": "Oceania",
    "Micronesia": "Oceania",
    "Northern Africa": "Africa",
    "Northern America": "Americas",
    "Northern Europe": "Europe",
    "Polynesia": "Oceania",
    "South-eastern Asia": "Asia",
    "Southern Asia": "Asia",
    "Southern Europe": "Europe",
    "Sub-Saharan Africa": "Africa",
    "Western Asia": "Asia",
    "Western Europe": "Europe",
}
COUNTRY = re.compile(r"[A-Z]{2}")
SUBDIVISION = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")


def region_chain(region: str) -> list[str]:
    """The region and the larger regions it is in, e.g. Eastern Asia → [Eastern Asia, Asia]."""
    chain = []
    while region:
        chain.append(region)
        region = REGIONS[region]
    return chain
