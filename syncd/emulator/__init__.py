"""A faithful local stand-in for Zoho CRM and Bigin's APIs.

It is an independent implementation of Zoho's wire format: it imports nothing from ``syncd.zoho``
and shares no parsing or formatting with it, so that client and emulator cannot make the same
mistake and hide it from the tests.

::

    from syncd.emulator import EmulatorSettings, start_emulator

    with start_emulator(EmulatorSettings(page_size=100, seed={"Contacts": 500})) as emu:
        emu.url  # every Zoho host: accounts, API, upload and downloads
"""

from syncd.emulator.server import RunningEmulator, serve, start_emulator
from syncd.emulator.settings import EmulatorSettings

__all__ = ["EmulatorSettings", "RunningEmulator", "serve", "start_emulator"]
