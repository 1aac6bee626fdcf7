"""The time edge: the scheduler, its leader election, and one module per job."""
