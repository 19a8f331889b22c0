"""syncd.engine"""
