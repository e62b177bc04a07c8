"""Receipts read by OCR (issue 15): what an upload may be (`uploads`) and what a receipt
says (`reading`: text from a PDF's text layer or tesseract, then the fields extracted)."""
