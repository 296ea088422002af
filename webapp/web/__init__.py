"""The server-rendered web pages: views (blueprints), forms from JSON Schema, the diagram, presenting."""
