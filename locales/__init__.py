"""gettext catalogs (zh_CN, the default, and en) for every string a person reads."""

from pathlib import Path

CATALOG_DIR = Path(__file__).parent
DOMAIN = "partnerbot"
