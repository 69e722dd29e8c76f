"""placeholder"""
def run(**kw): return {"error": "not available yet"}
def table(r): return "gradients: " + r.get("error", "")
