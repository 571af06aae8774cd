"""regsuite's locust side: users, shapes, the locustfile and the shipped profiles (installed as `regsuite.loadtest`)."""
