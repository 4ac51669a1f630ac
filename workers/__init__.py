"""The worker side: thin RQ entry points (`jobs.py`), the registry that binds each job type to one
(`registry.py`), and the sweeper that re-queues lost work (`sweeper.py`). `ntswatch worker` runs them."""
