"""The aiogram Telegram bot: reporters chat with it in private; it feeds the same flow engine."""
