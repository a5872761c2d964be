"""The ways in and out: the command line, the web portal (Flask) and the JSON API. Input is
shaped and validated here, turned into domain commands, and answered from read models."""
