"""syncd.plugins"""
