"""History, item-item CF and the hybrid recommender with reasons (issue 5)."""
