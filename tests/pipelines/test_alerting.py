from pipelines.alerting import AlertPolicy, AlertState, step

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
    policy = AlertPolicy(thresholds={"washout": 0.5}, k=1, n=1)
    probs = [{"normal": 0.1, "washout": 0.9}]
    assert run(policy, probs, rig="trip_out") == []
    assert run(policy, probs, rig="circulating") == [(0, "washout")]


def test_below_threshold_probabilities_never_fire() -> None:
    policy = AlertPolicy(thresholds={"kick": 0.95}, k=1, n=1)
    assert run(policy, [KICK] * 10) == []
