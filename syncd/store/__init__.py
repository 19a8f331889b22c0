"""syncd.store"""
