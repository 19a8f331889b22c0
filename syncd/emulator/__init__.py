"""syncd.emulator"""
