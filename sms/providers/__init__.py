"""SMS providers over httpx behind one small interface (``sms.providers.base``)."""
