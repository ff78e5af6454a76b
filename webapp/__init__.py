"""The web app of `toolkit serve`: the toolkit's models in a browser (see webapp.app)."""
