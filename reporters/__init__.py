"""The reporter's side after a report: status updates, replies sent later, news subscriptions, retention of
contacts, FORGET, and the photos and voice notes they sent."""
