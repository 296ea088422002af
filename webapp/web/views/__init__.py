"""The web app's blueprints: auth, tasks (inbox), instances, documents, admin, notifications."""
