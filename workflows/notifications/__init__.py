"""Notifications to people and Gemeinden: queued in the step's transaction, shown in the web app."""
