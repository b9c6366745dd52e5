import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordcell.settings")
application = get_wsgi_application()
# Django, the apps and their modules live as long as the process: moved out of the garbage
# collector's sight, its collections only walk what requests allocate (about half of its time).
gc.freeze()
