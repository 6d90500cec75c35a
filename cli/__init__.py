"""The ``diklat`` command line. Each area registers its commands from its own module."""
