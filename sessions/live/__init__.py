"""One live run of a session plan with a cohort: its state of record, the steps, timers, presence, and what each kind of client is shown."""
