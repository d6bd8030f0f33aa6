"""Labels of the codes shown to people, in French and Dutch."""

from raj_release.domain.enums import MilestoneKind

MILESTONE_LABELS: dict[MilestoneKind, dict[str, str]] = {
    MilestoneKind.INTAKE: {"fr": "entrée en suivi", "nl": "start begeleiding"},
    MilestoneKind.TAP_HEARING: {"fr": "audience TAP/JAP", "nl": "zitting SURB/SURB-rechter"},
    MilestoneKind.EXPECTED_RELEASE: {"fr": "libération attendue", "nl": "verwachte vrijlating"},
    MilestoneKind.ACTUAL_RELEASE: {"fr": "libération effective", "nl": "effectieve vrijlating"},
    MilestoneKind.FOND_DE_PEINE: {"fr": "fond de peine", "nl": "strafeinde"},
    MilestoneKind.ADMISSIBILITY_LC: {"fr": "admissibilité LC", "nl": "toelaatbaarheid VI"},
    MilestoneKind.ADMISSIBILITY_SE: {"fr": "admissibilité SE", "nl": "toelaatbaarheid ET"},
    MilestoneKind.ADMISSIBILITY_DL: {"fr": "admissibilité DL", "nl": "toelaatbaarheid BD"},
    MilestoneKind.ADMISSIBILITY_CP: {"fr": "admissibilité CP", "nl": "toelaatbaarheid PV"},
    MilestoneKind.ADMISSIBILITY_PS: {"fr": "admissibilité PS", "nl": "toelaatbaarheid UV"},
}


def milestone_change_text(kind: MilestoneKind, old, new) -> dict[str, str]:
    """'Date « audience TAP/JAP » : 20/04/2027 → 15/06/2027' in each language."""
    def fmt(d):
        return d.strftime("%d/%m/%Y") if d else "—"

    lab = MILESTONE_LABELS[kind]
    if old is None:
        return {"fr": f"Nouvelle date « {lab['fr']} » : {fmt(new)}",
                "nl": f"Nieuwe datum '{lab['nl']}': {fmt(new)}"}
    return {"fr": f"Date « {lab['fr']} » déplacée : {fmt(old)} → {fmt(new)}",
            "nl": f"Datum '{lab['nl']}' verschoven: {fmt(old)} → {fmt(new)}"}
