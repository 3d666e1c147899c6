"""placeholder"""
def render_page():
    pass
