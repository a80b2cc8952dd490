"""The demo clinic for `make run`: categories, services, ten providers with hours.

Idempotent: running it again finds what exists and adds only what is missing. It runs after
`accounts.demo.create_demo_users()`, which creates the two provider logins used below; the
eight other providers get users with unusable passwords (they are scenery, not logins).
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone as dj_timezone

from accounts.models import Profile, Role, User
from providers.models import Provider, Service, ServiceCategory, TimeOff
from providers.services import provider_add_time_off, provider_create, provider_set_working_hours

CATEGORIES = [
    ("general-practice", "General practice", "Family doctors for everyday health concerns."),
    ("physiotherapy", "Physiotherapy", "Assessment and treatment of muscles and joints."),
    ("tutoring", "Tutoring", "One-to-one lessons and exam preparation."),
    ("consulting", "Consulting", "Business and career advice from experienced consultants."),
]

ALL = ["routine", "soon", "urgent"]
PLANNED = ["routine", "soon"]

# (category slug, name, minutes, buffer before, buffer after, price, urgencies, description)
SERVICES = [
    ("general-practice", "GP consultation", 15, 0, 5, "45.00", ALL, "A short visit with a GP."),
    (
        "general-practice",
        "Extended GP appointment",
        30,
        0,
        5,
        "80.00",
        ALL,
        "Time for several concerns or a complex one.",
    ),
    (
        "general-practice",
        "Health check",
        45,
        5,
        10,
        "120.00",
        PLANNED,
        "Blood pressure, bloods and lifestyle review.",
    ),
    (
        "physiotherapy",
        "Physiotherapy assessment",
        60,
        0,
        10,
        "75.00",
        ALL,
        "First visit: history, examination and a treatment plan.",
    ),
    (
        "physiotherapy",
        "Physiotherapy follow-up",
        30,
        0,
        10,
        "55.00",
        PLANNED,
        "Treatment and exercises after an assessment.",
    ),
    (
        "physiotherapy",
        "Sports massage",
        45,
        0,
        15,
        "60.00",
        PLANNED,
        "Deep tissue massage for recovery.",
    ),
    (
        "physiotherapy",
        "Back care class",
        60,
        0,
        15,
        "20.00",
        PLANNED,
        "A small group class: exercises for a stronger back, up to 8 people.",
    ),
    ("tutoring", "Maths tutoring", 60, 0, 0, "40.00", PLANNED, "GCSE to first-year university."),
    (
        "tutoring",
        "Exam coaching",
        90,
        0,
        15,
        "65.00",
        ["routine", "soon", "urgent"],
        "Past papers and exam technique before a deadline.",
    ),
    (
        "consulting",
        "Business strategy session",
        90,
        15,
        15,
        "250.00",
        PLANNED,
        "A working session on your plan, market or pricing.",
    ),
    (
        "consulting",
        "Career coaching",
        45,
        0,
        10,
        "90.00",
        ["routine"],
        "CV, interviews and next steps.",
    ),
]

# Group classes: name -> (seats per session, minimum participants, deadline in hours).
GROUP_CLASSES = {"Back care class": (8, 3, 24)}

MON_FRI = range(5)


def _week(
    intervals: list[tuple[str, str]],
    *,
    days: range = MON_FRI,
    saturday: list[tuple[str, str]] | None = None,
) -> list[dict]:
    rows = [
        {"weekday": day, "start_time": time.fromisoformat(s), "end_time": time.fromisoformat(e)}
        for day in days
        for s, e in intervals
    ]
    for s, e in saturday or []:
        rows.append(
            {"weekday": 5, "start_time": time.fromisoformat(s), "end_time": time.fromisoformat(e)}
        )
    return rows


@dataclass
class DemoProvider:
    email: str
    first_name: str
    last_name: str
    display_name: str
    bio: str
    timezone: str
    services: list[str]
    hours: list[dict]
    country: str = ""
    subdivision: str = ""
    daily_cap: int | None = None
    # (days from today, length in days, reason)
    time_off: list[tuple[int, int, str]] = field(default_factory=list)


PROVIDERS = [
    DemoProvider(
        email="dr.ncube@smartbook.test",
        first_name="Thandiwe",
        last_name="Ncube",
        display_name="Dr. Thandiwe Ncube",
        bio="GP with an interest in family medicine and long-term conditions.",
        timezone="Europe/London",
        country="GB",
        subdivision="ENG",
        services=["GP consultation", "Extended GP appointment", "Health check"],
        hours=_week([("09:00", "12:30"), ("13:30", "17:00")], saturday=[("09:00", "12:00")]),
        time_off=[(18, 3, "Annual leave")],
    ),
    DemoProvider(
        email="dr.okafor@smartbook.test",
        first_name="Chinedu",
        last_name="Okafor",
        display_name="Dr. Chinedu Okafor",
        bio="Physiotherapist for sports injuries and back pain.",
        timezone="Europe/London",
        country="GB",
        subdivision="ENG",
        services=[
            "Physiotherapy assessment",
            "Physiotherapy follow-up",
            "Sports massage",
            "Back care class",
        ],
        hours=_week([("08:00", "12:00"), ("13:00", "16:00")]),
        daily_cap=8,
        time_off=[(9, 1, "Training course")],
    ),
    DemoProvider(
        email="amelia.hart@smartbook.test",
        first_name="Amelia",
        last_name="Hart",
        display_name="Dr. Amelia Hart",
        bio="GP focusing on women's health and preventive care.",
        timezone="Europe/London",
        country="GB",
        subdivision="ENG",
        services=["GP consultation", "Health check"],
        hours=_week([("10:00", "13:00"), ("14:00", "18:30")]),
    ),
    DemoProvider(
        email="james.whitfield@smartbook.test",
        first_name="James",
        last_name="Whitfield",
        display_name="James Whitfield",
        bio="Chartered physiotherapist and former rugby club physio.",
        timezone="Europe/London",
        country="GB",
        subdivision="SCT",
        services=["Physiotherapy assessment", "Sports massage"],
        hours=_week(
            [("07:30", "11:30"), ("12:30", "15:30")],
            days=range(1, 5),
            saturday=[("08:00", "13:00")],
        ),
    ),
    DemoProvider(
        email="hannah.lewis@smartbook.test",
        first_name="Hannah",
        last_name="Lewis",
        display_name="Hannah Lewis",
        bio="Maths teacher offering evening tutoring and exam preparation.",
        timezone="Europe/London",
        services=["Maths tutoring", "Exam coaching"],
        hours=_week([("15:00", "17:30"), ("18:00", "21:00")], days=range(4)),
        time_off=[(4, 2, "School trip")],
    ),
    DemoProvider(
        email="owen.price@smartbook.test",
        first_name="Owen",
        last_name="Price",
        display_name="Dr. Owen Price",
        bio="GP and sports medicine doctor.",
        timezone="Europe/London",
        country="GB",
        subdivision="WLS",
        services=["GP consultation", "Extended GP appointment", "Sports massage", "Health check"],
        hours=_week([("08:30", "12:30"), ("13:15", "16:30")]),
    ),
    DemoProvider(
        email="emily.carter@smartbook.test",
        first_name="Emily",
        last_name="Carter",
        display_name="Emily Carter",
        bio="Strategy consultant for early-stage companies.",
        timezone="America/New_York",
        country="US",
        subdivision="NY",
        services=["Business strategy session", "Career coaching"],
        hours=_week([("09:00", "12:00"), ("13:00", "17:00")]),
        time_off=[(12, 5, "Client workshop")],
    ),
    DemoProvider(
        email="marcus.bell@smartbook.test",
        first_name="Marcus",
        last_name="Bell",
        display_name="Marcus Bell",
        bio="Test-prep tutor for SAT maths and calculus.",
        timezone="America/New_York",
        country="US",
        subdivision="NY",
        services=["Maths tutoring", "Exam coaching"],
        hours=_week([("10:00", "13:00"), ("14:00", "19:00")], saturday=[("10:00", "14:00")]),
    ),
    DemoProvider(
        email="priya.raman@smartbook.test",
        first_name="Priya",
        last_name="Raman",
        display_name="Priya Raman",
        bio="Engineering graduate tutoring maths and coaching for competitive exams.",
        timezone="Asia/Kolkata",
        country="IN",
        services=["Maths tutoring", "Exam coaching", "Career coaching"],
        hours=_week([("09:30", "13:00"), ("14:00", "18:00")], saturday=[("10:00", "13:00")]),
    ),
    DemoProvider(
        email="sipho.dlamini@smartbook.test",
        first_name="Sipho",
        last_name="Dlamini",
        display_name="Sipho Dlamini",
        bio="Management consultant for operations and growth.",
        timezone="Africa/Johannesburg",
        country="ZA",
        services=["Business strategy session", "Career coaching"],
        hours=_week([("08:00", "12:00"), ("13:00", "16:30")]),
        time_off=[(6, 1, "Public speaking engagement")],
    ),
]


@transaction.atomic
def create_demo_clinic() -> None:
    categories = {
        slug: ServiceCategory.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )[0]
        for slug, name, description in CATEGORIES
    }
    services: dict[str, Service] = {}
    for slug, name, minutes, before, after, price, urgencies, description in SERVICES:
        capacity, minimum, deadline = GROUP_CLASSES.get(name, (1, 1, 24))
        service, created = Service.objects.get_or_create(
            category=categories[slug],
            name=name,
            defaults={
                "duration_minutes": minutes,
                "buffer_before_minutes": before,
                "buffer_after_minutes": after,
                "price": Decimal(price),
                "accepted_urgencies": urgencies,
                "description": description,
                "capacity": capacity,
                "min_participants": minimum,
                "minimum_deadline_hours": deadline,
            },
        )
        if created:
            service.full_clean()
        services[name] = service

    for spec in PROVIDERS:
        provider = _ensure_provider(spec, services)
        _ensure_time_off(provider, spec)


def _ensure_provider(spec: DemoProvider, services: dict[str, Service]) -> Provider:
    service_ids = [services[name].pk for name in spec.services]
    user = User.objects.filter(email=spec.email).first()
    if user is None:
        return provider_create(
            email=spec.email,
            password=None,
            first_name=spec.first_name,
            last_name=spec.last_name,
            display_name=spec.display_name,
            bio=spec.bio,
            timezone=spec.timezone,
            country=spec.country,
            subdivision=spec.subdivision,
            daily_cap=spec.daily_cap,
            service_ids=service_ids,
            working_hours=spec.hours,
            actor=None,
        )
    # A login made by accounts.demo: give it a provider record once.
    if user.role != Role.PROVIDER:
        user.role = Role.PROVIDER
        user.save(update_fields=["role"])
    Profile.objects.get_or_create(user=user)
    provider = Provider.objects.filter(user=user).first()
    if provider is None:
        provider = Provider(
            user=user,
            display_name=spec.display_name,
            bio=spec.bio,
            timezone=spec.timezone,
            country=spec.country,
            subdivision=spec.subdivision,
            daily_cap=spec.daily_cap,
        )
        provider.full_clean()
        provider.save()
        provider.services.set(service_ids)
        provider_set_working_hours(provider=provider, working_hours=spec.hours)
    return provider


def _ensure_time_off(provider: Provider, spec: DemoProvider) -> None:
    zone = ZoneInfo(spec.timezone)
    today = dj_timezone.now().astimezone(zone).date()
    for days_ahead, length, reason in spec.time_off:
        if TimeOff.objects.filter(provider=provider, reason=reason).exists():
            continue
        first_day = today + timedelta(days=days_ahead)
        start = datetime.combine(first_day, time(0), tzinfo=zone)
        end = datetime.combine(first_day + timedelta(days=length), time(0), tzinfo=zone)
        provider_add_time_off(provider=provider, start=start, end=end, reason=reason)
