"""Pure reminder rules: which reminders are due on a given day, for whom, grouped into digests, rendered in
the recipient's language. No I/O, no clock: `today` is a parameter."""
