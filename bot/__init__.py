"""The Telegram front end of the FAQ engine (``python -m bot``).

Modules, one concern each:

- :mod:`bot.config`: :class:`~bot.config.Settings` from the environment (see ``.env.example``);
- :mod:`bot.service`: the reply logic shared by Telegram and the console (engine holder, counters, usage log);
- :mod:`bot.render`: pure rendering of engine replies to Telegram HTML chunks, keyboards and callback data;
- :mod:`bot.handlers`: the PTB update handlers; :mod:`bot.app`: ``build_application``;
- :mod:`bot.ratelimit`: the per-user flood limit; :mod:`bot.log`: structured, redacted logging;
- :mod:`bot.runner`: lifecycle, signals and long polling; :mod:`bot.webhook`: the webhook server;
- :mod:`bot.console`: the console chat; :mod:`bot.__main__`: picks the mode.
"""
