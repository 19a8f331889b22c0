"""syncd.zoho"""
