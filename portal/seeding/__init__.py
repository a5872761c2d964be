"""The synthetic cohort (`needsledger seed`): a market of councils and providers and years of
children's histories, calibrated to the published Valuing Care figures (CALIBRATION.md),
deterministic for a seed, written only through the application's commands.

- `model`: the calibrated distributions that draw one child as they are on a day;
- `market`: councils, providers, homes and fee schedules;
- `history`: a child's years of record as timed steps;
- `phrases`: the words (strengths, aspirations, the child's voice, offers, declines);
- `driver`: runs it all through the application (`seed_cohort`).
"""

from portal.seeding.driver import AlreadySeeded, SeedSummary, seed_cohort

__all__ = ["AlreadySeeded", "SeedSummary", "seed_cohort"]
