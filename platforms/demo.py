"""Demo data: real platforms with their hosts and owned DNS names, and the government advisories of
../shared/DOMAIN.md. Safe to run twice: what exists already is left alone.

Everything goes through platforms/services.py with `actor=DEMO`, the system actor: `load_demo` runs it in
its audit context, so every entry is labelled "load_demo" (a command), and no demo account needs
administrator powers. Where DOMAIN.md gives no exact date, the date is a placeholder and the notes say so;
contacts whose address we do not know are left out rather than guessed.
"""

from datetime import date

from tracker.core.actors import DEMO

from . import services
from .models import GovernmentAdvisory, Platform, UrlRules

# The 11 DNS names of Telegram's web service that ISPs were told to block on 14 July 2017.
TELEGRAM_NAMES = [
    "t.me",
    "telegram.me",
    "telegram.org",
    "core.telegram.org",
    "desktop.telegram.org",
    "macos.telegram.org",
    "web.telegram.org",
    "venus.web.telegram.org",
    "pluto.web.telegram.org",
    "flora.web.telegram.org",
    "flora-1.web.telegram.org",
]

PLATFORMS = [
    {
        "name": "Telegram",
        "operator_legal_name": "Telegram FZ-LLC",
        "home_country": "AE",
        "website": "https://telegram.org",
        "url_rules": UrlRules.TELEGRAM,
        "hosts": ["t.me", "telegram.me", "telegram.org", "telegram.dog"],
        "names": TELEGRAM_NAMES,
        "contacts": [("abuse", "abuse@telegram.org"), ("legal", "dmca@telegram.org")],
        "notes": "Follow-up procedure of July 2017 also asked for trusted-flagger status for the ministry and a "
        "representative office in the country; neither is recorded as granted here (see DOMAIN.md).",
    },
    {
        "name": "WhatsApp",
        "website": "https://www.whatsapp.com",
        "url_rules": UrlRules.WHATSAPP,
        "hosts": ["wa.me", "whatsapp.com", "www.whatsapp.com", "web.whatsapp.com", "chat.whatsapp.com"],
        "names": ["whatsapp.com", "web.whatsapp.com", "wa.me", "whatsapp.net"],
    },
    {
        "name": "Zoom",
        "website": "https://zoom.us",
        "hosts": ["zoom.us", "zoom.com"],
        "names": ["zoom.us", "zoom.com"],
    },
    {
        "name": "Signal",
        "website": "https://signal.org",
        "hosts": ["signal.org", "signal.me", "signal.group"],
        "names": ["signal.org", "signal.me", "signal.group"],
    },
    {
        "name": "TikTok",
        "website": "https://www.tiktok.com",
        "url_rules": UrlRules.TIKTOK,
        "hosts": ["tiktok.com", "www.tiktok.com", "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com"],
        "names": ["tiktok.com", "tiktokv.com", "tiktokcdn.com"],
    },
    {
        "name": "X",
        "website": "https://x.com",
        "url_rules": UrlRules.X,
        "hosts": ["x.com", "www.x.com", "twitter.com", "www.twitter.com", "mobile.twitter.com", "t.co"],
        "names": ["x.com", "twitter.com", "t.co", "twimg.com"],
    },
    {
        "name": "Facebook",
        "website": "https://www.facebook.com",
        "url_rules": UrlRules.FACEBOOK,
        "hosts": ["facebook.com", "www.facebook.com", "m.facebook.com", "fb.com", "fb.me", "fb.watch"],
        "names": ["facebook.com", "fb.com", "fb.me", "fbcdn.net"],
    },
    {
        "name": "YouTube",
        "website": "https://www.youtube.com",
        "url_rules": UrlRules.YOUTUBE,
        "hosts": ["youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"],
        "names": ["youtube.com", "youtu.be", "ytimg.com"],
    },
    {
        "name": "Instagram",
        "website": "https://www.instagram.com",
        "url_rules": UrlRules.INSTAGRAM,
        "hosts": ["instagram.com", "www.instagram.com", "instagr.am"],
        "names": ["instagram.com", "instagr.am", "cdninstagram.com"],
    },
    {
        "name": "Threema",
        "home_country": "CH",
        "website": "https://threema.ch",
        "hosts": ["threema.ch", "threema.id"],
        "names": ["threema.ch"],
    },
    {
        "name": "Olvid",
        "home_country": "FR",
        "website": "https://www.olvid.io",
        "hosts": ["olvid.io", "www.olvid.io"],
        "names": ["olvid.io"],
    },
    {
        "name": "Tchap",
        "home_country": "FR",
        "website": "https://tchap.gouv.fr",
        "hosts": ["tchap.gouv.fr", "www.tchap.gouv.fr"],
        "names": ["tchap.gouv.fr"],
        "notes": "The French state's own messenger, certified for government staff.",
    },
    # Named in India's 2020 warning; their hosts and operators are not recorded here.
    {"name": "Helo", "notes": "Named in India's 2020 warning (see DOMAIN.md); hosts not recorded."},
    {"name": "SHAREit", "notes": "Named in India's 2020 warning (see DOMAIN.md); hosts not recorded."},
    {"name": "Kwai", "notes": "Named in India's 2020 warning (see DOMAIN.md); hosts not recorded."},
]

SOURCE = "public reporting, as summarised in DOMAIN.md"
YEAR_ONLY = "DOMAIN.md gives only the year; the day and month of issued_on are a placeholder."
ADVISORIES = [
    {
        "authority": "Ministry of Defence",
        "country": "ID",
        "reference": "SE/57/IV/2020",
        "issued_on": date(2020, 4, 1),
        "scope": "all personnel of the Ministry of Defence",
        "measure": GovernmentAdvisory.Measure.PROHIBITED,
        "platforms": ["Zoom"],
        "reasons": ["data-routed-abroad", "data-leakage", "intrusion"],
        "alternative": "A channel provided by the ministry's data and information centre.",
        "notes": "Circular letter of April 2020; the day of issue is a placeholder. A public meeting on Zoom had "
        "been disrupted by intruders days before.",
    },
    {
        "authority": "Government of France",
        "country": "FR",
        "issued_on": date(2023, 12, 8),
        "scope": "government staff, for their work",
        "measure": GovernmentAdvisory.Measure.PROHIBITED,
        "platforms": ["WhatsApp", "Telegram", "Signal"],
        "reasons": ["sovereignty"],
        "alternative": "Domestic, certified messengers: Olvid, Tchap.",
        "notes": "Applies from 8 December 2023, used here as the date; the date the instruction was issued and its "
        "reference are not recorded. It also covers 'similar apps'.",
    },
    {
        "authority": "Swiss Armed Forces",
        "country": "CH",
        "issued_on": date(2022, 1, 1),
        "scope": "army personnel",
        "measure": GovernmentAdvisory.Measure.PROHIBITED,
        "platforms": ["WhatsApp", "Telegram", "Signal"],
        "reasons": ["sovereignty"],
        "alternative": "Threema.",
        "notes": "DOMAIN.md says only that Switzerland's army took a step similar to France's, earlier, with "
        "Threema: the apps named and the date (a placeholder) are to be confirmed.",
    },
    {
        "authority": "Ministry of Home Affairs",
        "country": "IN",
        "issued_on": date(2020, 1, 1),
        "scope": "not recorded (see notes)",
        "measure": GovernmentAdvisory.Measure.WARNED,
        "platforms": ["Zoom"],
        "reasons": ["data-routed-abroad", "security-flaws"],
        "notes": "Called Zoom unsafe: some calls were routed through servers in China. " + YEAR_ONLY,
    },
    {
        "authority": "Ministry of Home Affairs",
        "country": "IN",
        "issued_on": date(2020, 1, 2),
        "scope": "not recorded (see notes)",
        "measure": GovernmentAdvisory.Measure.WARNED,
        "platforms": ["TikTok", "Helo", "SHAREit", "Kwai"],
        "reasons": [],
        "notes": "Warned about apps 'such as' these; the reasons given are not recorded here. " + YEAR_ONLY,
    },
    {
        "authority": "Government of India",
        "country": "IN",
        "issued_on": date(2017, 1, 1),
        "scope": "not recorded (see notes)",
        "measure": GovernmentAdvisory.Measure.WARNED,
        "platforms": [],
        "reasons": ["spyware"],
        "notes": "Forty-two apps were flagged as possible spyware; which apps, and which body flagged them, are not "
        "recorded here. " + YEAR_ONLY,
    },
    {
        "authority": "Privacy Commissioner for Personal Data",
        "country": "HK",
        "issued_on": date(2020, 4, 1),
        "scope": "anyone holding video conferences",
        "measure": GovernmentAdvisory.Measure.GUIDANCE,
        "platforms": [],
        "reasons": [],
        "notes": "Advice for video conferencing in general, no platform named: identity checks before admission; one "
        "meeting ID and a separately sent password per meeting; lock meetings; host-only screen sharing; no file "
        "transfer or recording; encrypted storage of records; destroy personal data once its purpose is served; "
        "have a plan for data breaches. April 2020; the day is a placeholder.",
    },
]


def load(stdout) -> None:
    created = 0
    for spec in PLATFORMS:
        if _load_platform(dict(spec)):
            created += 1
    stdout.write(f"Demo platforms: {created} new, {len(PLATFORMS)} in all")
    platforms = {p.name: p for p in Platform.objects.filter(name__in=[s["name"] for s in PLATFORMS])}
    new = 0
    for spec in ADVISORIES:
        spec = dict(spec)
        key = {name: spec[name] for name in ("authority", "country", "issued_on")}
        if GovernmentAdvisory.objects.filter(**key).exists():
            continue
        services.record_advisory(
            actor=DEMO,
            platforms=[platforms[name] for name in spec.pop("platforms")],
            reasons=spec.pop("reasons"),
            source=SOURCE,
            **spec,
        )
        new += 1
    stdout.write(f"Demo government advisories: {new} new, {len(ADVISORIES)} in all")


def _load_platform(spec: dict) -> bool:
    """Create the platform if it is not there; fill in hosts, names and contacts it lacks. True if created."""
    hosts, names = spec.pop("hosts", []), spec.pop("names", [])
    contacts = spec.pop("contacts", [])
    platform = Platform.objects.filter(name__iexact=spec["name"]).first()
    created = platform is None
    if created:
        platform = services.save_platform(actor=DEMO, **spec)
    if hosts and not platform.hosts.exists():
        services.set_platform_hosts(actor=DEMO, platform=platform, hosts=hosts)
    if names and not platform.domains.exists():
        services.set_platform_domains(actor=DEMO, platform=platform, names=names)
    for role, email in contacts:
        if not platform.contacts.filter(role=role, email=email).exists():
            services.save_contact(actor=DEMO, platform=platform, role=role, email=email)
    if created and platform.name == "Telegram":
        # 2017: no government channel until the CEO's commitment of 16 July to a direct line.
        services.save_platform(
            actor=DEMO,
            platform=platform,
            has_government_channel=True,
            reason="Telegram's CEO committed to a direct line of communication on 16 July 2017",
        )
    return created
