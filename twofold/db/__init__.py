"""Database backends (``DATABASES[...]["ENGINE"]``, chosen by ``twofold.dburl``)."""
