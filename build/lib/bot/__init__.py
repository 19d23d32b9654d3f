"""The service: settings, the aiohttp app, the WeChat endpoint and the command line."""
