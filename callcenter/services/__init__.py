"""Services: the domain's decisions applied to the store and the telephony adapters."""
