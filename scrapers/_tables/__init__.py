"""What the feeds share to read a table: find a by-region table in a grid by its content, read columns by
header aliases, region labels, .xls workbooks (decrypted, measured before they are read), unit factors."""
