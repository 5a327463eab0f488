from pipelines.live.alerting import AlertPolicy, AlertState, step

NS = 1_000_000_000
KICK = {"normal": 0.1, "kick": 0.9}
CALM = {"normal": 0.95, "kick": 0.05}


def run(
    policy: AlertPolicy,
    probs: list[dict[str, float]],
    rig: str = "rotary_drilling",
    stride_s: int = 10,
) -> list[tuple[int, str]]:
    state = AlertState()
    fired = []
    for i, p in enumerate(probs):
        out = step(state, policy, time_ns=i * stride_s * NS, probabilities=p, rig_state=rig)
        if out:
            fired.append((i, out))
    return fired


def test_an_alert_needs_k_of_the_last_n_decisions() -> None:
    policy = AlertPolicy(thresholds={"kick": 0.5}, k=3, n=5)
    assert run(policy, [KICK, CALM, KICK, CALM, CALM, CALM]) == []
    assert run(policy, [KICK, CALM, KICK, KICK]) == [(3, "kick")]


def test_one_episode_alerts_once_and_again_only_after_the_cooldown() -> None:
    policy = AlertPolicy(thresholds={"kick": 0.5}, k=1, n=1, cooldown_s=60)
    probs = [KICK] * 20 + [CALM] * 7 + [KICK]
    assert run(policy, probs) == [(0, "kick"), (27, "kick")]


def test_gated_types_do_not_fire_in_other_rig_states() -> None:
    policy = AlertPolicy(thresholds={"washout": 0.5}, k=1, n=1, hold_s={})
    probs = [{"normal": 0.1, "washout": 0.9}]
    assert run(policy, probs, rig="trip_out") == []
    assert run(policy, probs, rig="circulating") == [(0, "washout")]


def test_bit_balling_fires_while_drilling_or_cleaning_the_bit_but_not_while_tripping() -> None:
    policy = AlertPolicy(thresholds={"bit_balling": 0.5}, k=1, n=1)
    probs = [{"normal": 0.1, "bit_balling": 0.9}]
    assert run(policy, probs, rig="rotary_drilling") == [(0, "bit_balling")]
    assert run(policy, probs, rig="circulating") == [(0, "bit_balling")]
    assert run(policy, probs, rig="trip_in") == []
    assert run(policy, probs, rig="connection") == []


def test_below_threshold_probabilities_never_fire() -> None:
    policy = AlertPolicy(thresholds={"kick": 0.95}, k=1, n=1)
    assert run(policy, [KICK] * 10) == []


def test_washout_and_bit_balling_wait_until_the_rig_has_pumped_steadily_for_five_minutes() -> None:
    import numpy as np

    from models.rigstate import RigState
    from pipelines.live.alerting import gated_out

    # 10 min connection, then circulating; decisions every 10 s
    times = (np.arange(1800) * 1_000_000_000).astype(np.int64)
    states = np.where(np.arange(1800) < 600, RigState.CONNECTION, RigState.CIRCULATING)
    ends = np.arange(0, 1800, 10)
    blocked = gated_out(times, states.astype(np.int8), ends)

    def first_allowed_s(accident_type: str) -> int:
        ok = [e for e, b in zip(ends, blocked, strict=True) if accident_type not in b]
        return int(times[ok[0]] // 1_000_000_000)

    assert first_allowed_s("washout") == 600 + 300  # 5 min after the pumps came on
    assert first_allowed_s("bit_balling") == 600 + 300  # a balled bit cleaned off bottom
    # a steady state from the first sample counts from the first sample
    steady = gated_out(
        times, np.full(1800, RigState.ROTARY_DRILLING, np.int8), np.array([299, 300])
    )
    assert steady == [frozenset({"washout", "bit_balling"}), frozenset()]


WASHOUT = {"normal": 0.1, "washout": 0.9}
STEADY = {"normal": 0.9, "washout": 0.1}


def test_a_washout_alerts_only_once_its_vote_has_held_for_its_hold_time() -> None:
    policy = AlertPolicy(thresholds={"washout": 0.5}, k=3, n=5, hold_s={"washout": 600.0})
    # decisions every 10 s: the vote first holds at the third, 600 s later it may alert
    assert run(policy, [WASHOUT] * 80, rig="circulating") == [(62, "washout")]
    # other types are not held back
    assert run(policy, [KICK] * 5) == [(2, "kick")]


def test_a_break_in_a_held_vote_starts_its_hold_again() -> None:
    policy = AlertPolicy(thresholds={"washout": 0.5}, k=3, n=5, hold_s={"washout": 600.0})
    # one quiet decision keeps 3 of 5; three in a row break the hold
    tolerated = [WASHOUT] * 30 + [STEADY] + [WASHOUT] * 40
    assert run(policy, tolerated, rig="circulating") == [(62, "washout")]
    broken = [WASHOUT] * 55 + [STEADY] * 3 + [WASHOUT] * 70
    assert run(policy, broken, rig="circulating") == [(58 + 2 + 60, "washout")]


def test_the_default_policy_holds_washouts_ten_minutes_and_nothing_else() -> None:
    from pipelines.live.alerting import DEFAULT_HOLD_S

    assert DEFAULT_HOLD_S == {"washout": 600.0}
    assert AlertPolicy(thresholds={}).hold_s == DEFAULT_HOLD_S


def test_a_model_carries_the_hold_times_its_detector_was_calibrated_with(small_model) -> None:
    from dataclasses import replace

    from pipelines.live.alerting import DEFAULT_HOLD_S, model_policy

    # training records the holds it calibrated with, for both detectors
    assert small_model.meta["hold_s"] == DEFAULT_HOLD_S
    assert small_model.meta["pairwise"]["hold_s"] == DEFAULT_HOLD_S
    meta = {
        **small_model.meta,
        "hold_s": {"washout": 900},
        "pairwise": {**small_model.meta["pairwise"], "hold_s": {}},
    }
    model = replace(small_model, meta=meta)
    policy = model_policy(model, k=3, n=5, cooldown_s=1800.0)
    assert policy.hold_s == {"washout": 900.0} and policy.thresholds == model.thresholds
    analogue = model.with_detector("analogue")
    assert model_policy(analogue, k=3, n=5, cooldown_s=1800.0).hold_s == {}
    # the live engine alerts by it, and by the new model's after a swap
    from pipelines.live.streaming import StreamEngine

    engine = StreamEngine(model)
    assert engine._policy.hold_s == {"washout": 900.0}
    engine.set_model(analogue)
    assert engine._policy.hold_s == {}
    # a model from before hold times has the policy's default
    older = replace(small_model, meta={k: v for k, v in meta.items() if k != "hold_s"})
    assert model_policy(older, k=2, n=4, cooldown_s=60.0).hold_s == DEFAULT_HOLD_S


# ------------------------------------------- the whole-stream alert logic equals ``step``

RIG_STATES = ["rotary_drilling", "slide_drilling", "circulating", "trip_out", "connection"]
STREAM_TYPES = ["kick", "washout", "bit_balling", "stuck_pipe"]


def random_stream(rng, m: int):
    """Decisions as a live stream has them: irregular times, scores on a coarse grid (ties
    between types and scores exactly at a threshold), some NaN, rig states in runs and some
    types gated out; the classes in a random order (which ``candidate`` breaks ties by)."""
    import numpy as np

    types = [str(t) for t in rng.permutation(STREAM_TYPES)[: rng.integers(1, 5)]]
    classes = [str(c) for c in rng.permutation(["normal", *types])]
    times = 1_700_000_000 * NS + np.cumsum(rng.integers(1, 25, m)) * NS
    walk = np.cumsum(rng.normal(0, rng.uniform(0.02, 0.2), (len(classes), m)), axis=1) % 1.0
    scores = np.round(walk * 20) / 20
    scores[rng.random(scores.shape) < 0.01] = np.nan
    probabilities = {c: scores[j] for j, c in enumerate(classes)}
    rig = [RIG_STATES[i] for i in np.repeat(rng.integers(0, 5, m // 20 + 1), 20)[:m]]
    blocked = [
        frozenset(t for t in types if rng.random() < 0.05) if rng.random() < 0.5 else frozenset()
        for _ in range(m)
    ]
    n = int(rng.integers(1, 7))
    policy = AlertPolicy(
        thresholds={
            t: float(rng.choice([0.3, 0.5, 0.55, 0.8])) for t in types if rng.random() < 0.9
        },
        k=int(rng.integers(1, n + 1)),
        n=n,
        cooldown_s=float(rng.choice([0.0, 10.0, 60.0, 600.0])),
        hold_s={t: float(rng.choice([0.0, 30.0, 120.0])) for t in types if rng.random() < 0.5},
        default_threshold=float(rng.choice([0.5, 0.6])),
    )
    return policy, times, probabilities, rig, blocked


def stepped(policy, times, probabilities, rig, blocked) -> list[tuple[int, str]]:
    """``step`` decision by decision, as the live stream runs it."""
    state = AlertState()
    fired = []
    for i, t in enumerate(times):
        p = {c: float(v[i]) for c, v in probabilities.items()}
        out = step(
            state, policy, time_ns=int(t), probabilities=p, rig_state=rig[i], blocked=blocked[i]
        )
        if out is not None:
            fired.append((i, out))
    return fired


def test_the_whole_stream_alert_logic_alerts_as_step_does_on_random_streams() -> None:
    import numpy as np

    from pipelines.live.alerting import stream_alerts

    rng = np.random.default_rng(20260101)
    alerts = 0
    for case in range(400):
        m = int(rng.choice([0, 1, 2, 7, 50, 400]))
        policy, times, probabilities, rig, blocked = random_stream(rng, m)
        expected = stepped(policy, times, probabilities, rig, blocked)
        got = stream_alerts(policy, times, probabilities, blocked=blocked, rig_states=rig)
        assert got == expected, f"case {case}: {policy}"
        alerts += len(expected)
    assert alerts > 1000  # the streams do alert, with every rule in play


def test_without_rig_states_the_gating_is_that_of_the_gated_out_types() -> None:
    """Calibration keeps no rig states: ``gated_out`` gives the gating with the types blocked."""
    import numpy as np

    from models.rigstate import RigState
    from pipelines.live.alerting import gated_out, stream_alerts

    rng = np.random.default_rng(7)
    for _ in range(50):
        policy, times, probabilities, _, _ = random_stream(rng, 600)
        codes = np.repeat(rng.choice([1, 2, 5, 7, 8], 31), 20)[:600].astype(np.int8)
        rig = [RigState(int(c)).label for c in codes]
        blocked = gated_out(times, codes, np.arange(600), policy.gating, policy.steady_s)
        expected = stepped(policy, times, probabilities, rig, blocked)
        assert stream_alerts(policy, times, probabilities, blocked=blocked) == expected
