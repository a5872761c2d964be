"""The words the synthetic cohort speaks in: small phrase lists for strengths, aspirations,
the child's own voice, how a provider will meet each need, why a provider declines, the
feedback an unsuccessful provider gets, and the reasons written on referrals and fee
variations. Made up for the seed; no real child's words."""

from __future__ import annotations

import random

STRENGTHS = (
    "Kind and caring towards younger children",
    "Loves football and trains twice a week",
    "Curious and asks good questions",
    "Good sense of humour",
    "Keeps in touch with their grandmother",
    "Has a close friend at school",
    "Creative: draws and paints",
    "Enjoys cooking with their carer",
    "Works hard in maths",
    "Good at looking after animals",
    "Resilient after a difficult year",
    "Plays the guitar",
    "Helpful around the house",
    "Enjoys swimming and has a badge",
    "Talks openly with their key worker",
    "Loyal to their brothers and sisters",
    "Reads every evening",
    "Confident on stage in the school play",
    "Good at building things: Lego, models",
    "Gets on well with adults they trust",
)

ASPIRATIONS = (
    "To become a vet",
    "To go to college to study mechanics",
    "To live near their brother",
    "To join the army",
    "To be a hairdresser",
    "To pass their GCSEs",
    "To learn to drive",
    "To play for a local football team",
    "To become a nurse",
    "To have their own flat one day",
    "To go to university",
    "To work with children",
    "To be a chef",
    "To see their mum more often",
    "To stay at the same school",
    "To learn to swim",
    "To make new friends",
    "To get an apprenticeship",
    "To become a youth worker",
    "To travel",
)

CHILD_VOICE = (
    "I like it here and I want to stay.",
    "I want to see my sister more.",
    "I don't like moving schools.",
    "My carer listens to me.",
    "I want people to stop asking me the same questions.",
    "I feel safe now.",
    "I miss my dog.",
    "I want to be more independent.",
    "I want to go home.",
    "School is getting better.",
    "I don't always feel listened to at meetings.",
    "I want my own phone.",
    "I like my room.",
    "I get angry sometimes and I don't know why.",
    "I want to know more about why I came into care.",
    "I'm doing my best.",
)

ASSESSORS = ("Social worker", "Team manager", "Independent reviewing officer", "Senior practitioner")

HOW_NEEDS_MET: dict[str, tuple[str, ...]] = {
    "physical_health": ("Carers attend every health appointment and keep a health passport",
                        "Registered with the local GP and dentist within a week"),
    "emotional_health": ("Weekly therapeutic sessions with our in-house clinical team",
                         "Trauma-informed carers trained in PACE; CAMHS liaison"),
    "attachments": ("One consistent key worker and a small, stable staff team",
                    "Carers trained in attachment-focused parenting, with monthly supervision"),
    "managing_emotions": ("A co-produced regulation plan and de-escalation training for all staff",
                          "Structured routine with calm spaces and agreed triggers"),
    "life_story": ("Life story work with a trained practitioner every fortnight",
                   "Memory box and life story book kept up to date with the social worker"),
    "identity": ("Culturally matched carers and links to community groups",
                 "Support to keep faith and cultural practices"),
    "family_relationships": ("Supervised family time three times a month, with transport provided",
                             "Carers support sibling contact every week"),
    "educational_progress": ("Daily school transport and a weekly meeting with the virtual school",
                             "On-site education support and tutoring after school"),
    "learning_disability": ("Staff trained in Makaton and autism; visual timetables",
                            "Adapted home and an occupational therapy plan"),
    "expressing_views": ("Advocate visits every month; the child chairs part of their review",
                         "Weekly one-to-one time with a trusted adult"),
    "community": ("Membership of a local sports club and youth group",
                  "Volunteering and weekend activities chosen with the young person"),
    "safe_decisions": ("Missing-from-home protocol and exploitation safety plan with the police",
                       "Waking night staff and a mentoring programme"),
    "independence": ("Independence skills programme: budgeting, cooking, travel",
                     "Pathway plan support from an in-house transition worker"),
}

DECLINE_NOTES: dict[str, tuple[str, ...]] = {
    "no_vacancy": ("", "Our beds are full until the spring.", ""),
    "needs_not_met": ("", "We cannot staff 2:1 at night.", "Our carers are not trained for this level of need."),
    "matching": ("", "The current group of young people would not be a safe match."),
    "location": ("", "Too far from school and family."),
    "timescale": ("", "We could not start before next month."),
    "registration": ("", "Outside our statement of purpose."),
    "other": ("Carer on holiday for the next three weeks.", "Home closing for refurbishment.",
              "Manager on leave; unable to assess in time."),
}

UNSUCCESSFUL_FEEDBACK = (
    "Thank you: another offer met the child's needs closer to school.",
    "Thank you: another offer could start sooner.",
    "Thank you: another offer was better value for the same support.",
    "Thank you: the young person chose another home after visiting.",
    "Thank you: another home could keep the siblings together.",
)

REFERRAL_SUMMARIES = (
    "Looking for a stable home where they can stay at their current school.",
    "Needs a home with experienced carers; enjoys sport and music.",
    "Planned move after the current placement gave notice.",
    "Step-down from residential care to a family home.",
    "Urgent: the current placement has broken down.",
    "Needs a home near their brother and sister.",
    "Moving on to semi-independence ahead of their 18th birthday.",
    "Needs a home able to support their learning needs.",
)

WITHDRAWN_REASONS = (
    "The child's plan changed: they are staying where they are.",
    "A family member came forward to care for the child.",
)
CLOSED_REASONS = (
    "No offer met the child's needs; a new referral will follow.",
    "No offers were received in time.",
)
OFFER_NOTE = "We can introduce the young person to the home first."
OFFER_WITHDRAWN_REASONS = ("The vacancy has been filled.", "The carer is no longer available.")

UPLIFT_REASON = "Annual uplift {year}/{next_year:02d}"
SUPPORT_REASON = "Additional 1:1 support agreed at review"
SUPPORT_ENDED = "Additional 1:1 support ended"


def pick(rng: random.Random, options: tuple[str, ...], k: int) -> list[str]:
    return rng.sample(options, k)


def how_needs_met(rng: random.Random, keys: list[str]) -> dict[str, str]:
    return {key: rng.choice(HOW_NEEDS_MET[key]) for key in keys}
