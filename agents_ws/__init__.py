"""The agent panel: FastAPI websocket protocol and the page."""
