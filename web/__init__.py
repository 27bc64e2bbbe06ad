"""What the server answers beside the app's pages (server.py): plain HTTP routes and middleware."""
