"""Pure planning: working-day calendar, backward scheduler, replanning diff, readiness. No I/O, no clock."""
