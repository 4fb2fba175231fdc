def handler(event, context):
    name = (event or {}).get("name", "World")
    print(f"invocation {context.invocationId}, attempt {context.attempt}")  # a log line
    return {"message": f"Hello, {name}!", "remainingMs": context.getRemainingTimeInMillis()}
