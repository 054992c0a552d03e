print("openclaw")
