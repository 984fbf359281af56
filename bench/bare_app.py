"""A bare Flask app with one JSON endpoint: the baseline the slots endpoint is compared with."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/api/v1/bare")
def bare():
    return jsonify(coach_id=1, session_type="consultation", timezone="UTC", slots=[])
