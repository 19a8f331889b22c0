"""syncd.daemon"""
